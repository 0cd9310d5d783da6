from typing import Any

from backend.events.models import Event


def event_record(
    *,
    project_id: int,
    kind: str,
    payload: dict[str, Any] | None = None,
    video_id: int | None = None,
    actor_id: int | None = None,
) -> Event:
    """Append an event. Call it inside the transaction of the change it announces."""
    return Event.objects.create(
        project_id=project_id,
        video_id=video_id,
        kind=kind,
        payload=payload or {},
        actor_id=actor_id,
    )
