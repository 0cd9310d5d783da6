from django.db.models import QuerySet
from django.http import Http404

from backend.accounts.models import User
from backend.projects.models import Project
from backend.projects.permissions import ANY_ROLE, membership_require
from backend.videos.models import Video


def video_list(*, project: Project) -> QuerySet[Video]:
    return Video.objects.filter(project=project)


def video_get_for_user(*, user: User, video_id: int, roles=ANY_ROLE) -> Video:
    """The video if the user is a member of its project with one of `roles`; else 404/403."""
    video = Video.objects.filter(pk=video_id).select_related("project").first()
    if video is None:
        raise Http404("No such video.")
    membership_require(user=user, project_id=video.project_id, roles=roles)
    return video
