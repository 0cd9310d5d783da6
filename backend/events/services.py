"""Recording events, and giving them their position in the log once they committed.

Why positions and not ids: an id is taken at insert, so a slow transaction can commit event
803 after a fast one committed 804; a client that has read 804 and asks for "after 804"
would never see 803. The sequencer runs after each commit (and in every worker's recovery
loop, for a process that died between its commit and its sequencing): under the one row
lock of EventSequence it gives the committed events without a position the next positions,
in id order, and commits. Sequencers take turns on that lock, so a reader that sees
position N also sees every position below N: reading "after N" never skips one.
On SQLite writers are serialised anyway; the same code runs there.
"""

import logging
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from backend.events import wakeups
from backend.events.kinds import EventKind, payload_problems
from backend.events.models import Event, EventSequence

logger = logging.getLogger(__name__)

# Events positioned per sequencer transaction (a backlog goes in several).
SEQUENCE_BATCH = 1000


def project_group(project_id: int) -> str:
    """Listeners of a project's whole log."""
    return f"project-events-{project_id}"


def video_group(project_id: int, video_id: int) -> str:
    """Listeners of the events about one video of a project (an annotator's workspace)."""
    return f"project-events-{project_id}-video-{video_id}"


def event_record(
    *,
    project_id: int,
    kind: EventKind,
    payload: Any = None,
    video_id: int | None = None,
    actor_id: int | None = None,
) -> Event:
    """Append an event. Call it inside the transaction of the change it announces; once
    that transaction commits the event gets its position and live clients are woken.
    The payload must fit the kind's TypedDict (backend/events/kinds.py)."""
    kind = EventKind(kind)
    payload = dict(payload or {})
    problems = payload_problems(kind, payload)
    if problems:
        raise ValueError(f"Payload of a {kind} event does not fit its type: {problems}.")
    event = Event.objects.create(
        project_id=project_id, video_id=video_id, kind=kind, payload=payload, actor_id=actor_id
    )
    _sequence_on_commit(project_id)
    return event


class _Sequencer:
    """The after-commit callback of one transaction for one project. Whoever positions
    events wakes their listeners (events_sequence): when another transaction's sequencer
    positioned this one's events first, it has woken them already."""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        try:
            events_sequence()
        except Exception:  # noqa: BLE001 -- committed work stands; the recovery loop sequences
            logger.warning("could not sequence events after a commit", exc_info=True)


def _sequence_on_commit(project_id: int) -> None:
    """One sequencing and one wake-up per project per transaction, however many events.
    (A callback of a rolled-back transaction is gone from run_on_commit: the next
    transaction registers its own.)"""
    connection = transaction.get_connection()
    registered: dict[int, _Sequencer] = connection.__dict__.setdefault("_event_sequencers", {})
    pending = registered.get(project_id)
    if (
        pending is not None
        and not pending.ran
        and any(entry[1] is pending for entry in connection.run_on_commit)
    ):
        return
    registered[project_id] = _Sequencer(project_id)
    transaction.on_commit(registered[project_id])


def events_sequence() -> int:
    """Gives every committed event without a position the next positions, in id order, and
    once that is committed wakes the live listeners of their projects. Returns the highest
    position given so far (0 when none). Safe to run anywhere, any time, concurrently:
    sequencers take turns on the EventSequence row."""
    while True:
        with transaction.atomic():
            counter = _counter_locked()
            pending = list(
                Event.objects.filter(seq__isnull=True)
                .order_by("id")
                .values_list("id", "project_id", "video_id")[:SEQUENCE_BATCH]
            )
            if not pending:
                return counter.last
            Event.objects.bulk_update(
                [Event(id=row[0], seq=counter.last + n) for n, row in enumerate(pending, 1)],
                ["seq"],
            )
            counter.last += len(pending)
            counter.save(update_fields=["last"])
            transaction.on_commit(partial(_wake, pending, counter.last))
        if len(pending) < SEQUENCE_BATCH:
            return counter.last


def _wake(positioned: list[tuple[int, int, int | None]], last: int) -> None:
    """Wakes the listeners of each project's whole log, and those of each video its new
    events are about: a listener following one video hears only of that video's news (with
    a socket per annotator, every wake-up of the project reaching every socket cost each
    web process a thread crossing per socket and event)."""
    groups: set[str] = set()
    for _pk, project_id, video_id in positioned:
        groups.add(project_group(project_id))
        if video_id is not None:
            groups.add(video_group(project_id, video_id))
    for group in sorted(groups):
        wakeups.wake(group, last)


def _counter_locked() -> EventSequence:
    counter = EventSequence.objects.select_for_update().filter(pk=1).first()
    if counter is not None:
        return counter
    # Missing only on a fresh or flushed database (the migration creates it).
    try:
        with transaction.atomic():
            EventSequence.objects.create(
                pk=1, last=Event.objects.aggregate(last=Max("seq"))["last"] or 0
            )
    except IntegrityError:
        pass  # another sequencer created it first
    return EventSequence.objects.select_for_update().get(pk=1)
