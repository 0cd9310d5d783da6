from django.db.models import QuerySet

from backend.events.models import Event
from backend.projects.models import Project


def event_list(
    *, project: Project, after: int = 0, video_id: int | None = None, kind: str | None = None
) -> QuerySet[Event]:
    """Events at positions after `after`, in log order: a client resumes from the last
    position (`seq`) it saw. Events whose transaction has not been sequenced yet are not
    in the log yet."""
    events = Event.objects.filter(project=project, seq__gt=after)
    if video_id is not None:
        events = events.filter(video_id=video_id)
    if kind:
        events = events.filter(kind=kind)
    return events.order_by("seq")
