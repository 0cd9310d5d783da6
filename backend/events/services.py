"""Recording events, and giving them their position in the log once they committed.

Why positions and not ids: an id is taken at insert, so a slow transaction can commit event
803 after a fast one committed 804; a client that has read 804 and asks for "after 804"
would never see 803. The sequencer runs after each commit (and in every worker's recovery
loop, for a process that died between its commit and its sequencing): under the one row
lock of EventSequence it gives the committed events without a position the next positions,
in id order, and commits. Sequencers take turns on that lock, so a reader that sees
position N also sees every position below N: reading "after N" never skips one.
On PostgreSQL the sequencer is a function in the database (one call after each commit, the
lock held only while it runs); elsewhere (SQLite, whose writers are serialised anyway) the
same three statements run in a transaction of their own.
"""

import functools
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
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
        if connection.vendor == "postgresql":
            last, positioned = _positions_give_in_database()
        else:
            last, positioned = _positions_give_in_transaction()
        if positioned:
            transaction.on_commit(functools.partial(_wake, positioned, last))
        if len(positioned) < SEQUENCE_BATCH:
            return last


def _positions_give_in_database() -> tuple[int, list[tuple[int, int, int | None]]]:
    """PostgreSQL: one call of events_sequence_next (migration 0004), which holds the
    counter's lock only while it runs. Committed at once unless the caller is in a
    transaction (then its wake-up waits for that commit)."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_seq, event_ids, project_ids, video_ids FROM events_sequence_next(%s)",
                [SEQUENCE_BATCH],
            )
            last, ids, projects, videos = cursor.fetchone()
        if last is None:
            _counter_create()
            continue
        return last, list(zip(ids or [], projects or [], videos or [], strict=True))


def _positions_give_in_transaction() -> tuple[int, list[tuple[int, int, int | None]]]:
    """Other databases (SQLite, which serialises writers anyway): the same work in three
    statements of one transaction."""
    sql = _sequencer_sql(connection.vendor)
    with transaction.atomic():
        last = _counter_locked()
        with connection.cursor() as cursor:
            cursor.execute(sql.positions_give, [SEQUENCE_BATCH, last])
            rows = sorted(cursor.fetchall(), key=lambda row: row[3])
            if rows:
                last = rows[-1][3]
                cursor.execute(sql.counter_set, [last])
    return last, [(row[0], row[1], row[2]) for row in rows]


@dataclass(frozen=True)
class _SequencerSql:
    counter_lock: str  # the last position, its row locked until the transaction ends
    positions_give: str  # (batch, last): the next positions to the oldest events without one
    counter_set: str  # (last,)


@functools.cache
def _sequencer_sql(vendor: str) -> _SequencerSql:
    """The sequencer's statements outside PostgreSQL, written once per database vendor
    (names from the models; the ORM's version of them cost three times the CPU). The
    positions are given in one statement that reads the log after the counter's lock is
    held, so it sees every sequencer's work before it."""
    quote = connection.ops.quote_name
    event, counter = Event._meta, EventSequence._meta
    events, counters = quote(event.db_table), quote(counter.db_table)
    pk, seq = quote(event.pk.column), quote(event.get_field("seq").column)
    project, video = (quote(event.get_field(name).column) for name in ("project", "video"))
    counter_pk, counter_last = quote(counter.pk.column), quote(counter.get_field("last").column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return _SequencerSql(
        counter_lock=f"SELECT {counter_last} FROM {counters} WHERE {counter_pk} = 1{lock}",  # noqa: S608
        positions_give=(
            f"WITH pending AS (SELECT {pk} AS id, ROW_NUMBER() OVER (ORDER BY {pk}) AS n "  # noqa: S608
            f"FROM {events} WHERE {seq} IS NULL ORDER BY {pk} LIMIT %s) "
            f"UPDATE {events} SET {seq} = %s + pending.n FROM pending "
            f"WHERE {events}.{pk} = pending.id "
            f"RETURNING {events}.{pk}, {events}.{project}, {events}.{video}, {events}.{seq}"
        ),
        counter_set=f"UPDATE {counters} SET {counter_last} = %s WHERE {counter_pk} = 1",  # noqa: S608
    )


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


def _counter_locked() -> int:
    """The last position given, its row locked until the transaction ends."""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_sequencer_sql(connection.vendor).counter_lock)
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        _counter_create()


def _counter_create() -> None:
    """The counter's row, missing only on a fresh or flushed database (the migration creates
    it), from the log's last position."""
    try:
        with transaction.atomic():
            EventSequence.objects.create(
                pk=1, last=Event.objects.aggregate(last=Max("seq"))["last"] or 0
            )
    except IntegrityError:
        pass  # another sequencer created it first
