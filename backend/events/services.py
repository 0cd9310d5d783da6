from typing import Any

from django.db import transaction

from backend.events import wakeups
from backend.events.models import Event


def project_group(project_id: int) -> str:
    return f"project-events-{project_id}"


def event_record(
    *,
    project_id: int,
    kind: str,
    payload: dict[str, Any] | None = None,
    video_id: int | None = None,
    actor_id: int | None = None,
) -> Event:
    """Append an event. Call it inside the transaction of the change it announces; live
    clients are woken once that transaction commits."""
    event = Event.objects.create(
        project_id=project_id,
        video_id=video_id,
        kind=kind,
        payload=payload or {},
        actor_id=actor_id,
    )
    _wake_on_commit(project_id, event.pk)
    return event


def _wake_on_commit(project_id: int, event_id: int) -> None:
    """One wake-up per project per transaction, however many events it appends."""
    connection = transaction.get_connection()
    pending: dict[int, int] = connection.__dict__.setdefault("_event_wakeups", {})
    first = project_id not in pending
    pending[project_id] = max(event_id, pending.get(project_id, 0))
    if first:
        transaction.on_commit(lambda: _wake_listeners(project_id, pending.pop(project_id)))


def _wake_listeners(project_id: int, last_id: int) -> None:
    wakeups.wake(project_group(project_id), last_id)
