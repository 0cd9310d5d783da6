import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from backend.events.models import Event

logger = logging.getLogger(__name__)


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
    """Best effort: a lost wake-up delays a client until the next one, never loses data."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            project_group(project_id), {"type": "events.new", "last_id": last_id}
        )
    except Exception:  # noqa: BLE001 -- the broker being down must not fail the write
        logger.warning(
            "could not wake live-event listeners of project %s", project_id, exc_info=True
        )
