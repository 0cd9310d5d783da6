from django.db.models import QuerySet

from backend.events.models import Event
from backend.projects.models import Project


def event_list(
    *, project: Project, after: int = 0, video_id: int | None = None, kind: str | None = None
) -> QuerySet[Event]:
    """Events with id > after, oldest first: a client resumes from the last id it saw."""
    events = Event.objects.filter(project=project, id__gt=after)
    if video_id is not None:
        events = events.filter(video_id=video_id)
    if kind:
        events = events.filter(kind=kind)
    return events.order_by("id")
