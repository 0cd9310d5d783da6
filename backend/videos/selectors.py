from django.db.models import QuerySet
from django.http import Http404

from backend.accounts.models import User
from backend.projects.models import Project
from backend.projects.permissions import ANY_ROLE, membership_require, role_of_user, role_require
from backend.videos.models import Video


def video_list(*, project: Project) -> QuerySet[Video]:
    return Video.objects.filter(project=project)


def video_get_for_user(*, user: User, video_id: int, roles=ANY_ROLE) -> Video:
    """The video if the user is a member of its project with one of `roles`; else 404/403.
    Read in one query with its project and the user's role there (``video.reader_role``:
    selectors that need the role take it from there instead of reading it again)."""
    video = (
        Video.objects.filter(pk=video_id)
        .select_related("project")
        .annotate(reader_role=role_of_user(user))
        .first()
    )
    if video is None:
        raise Http404("No such video.")
    role_require(role=video.reader_role, roles=roles)
    return video


def video_reader_role(*, video: Video, user: User) -> str:
    """The user's role in the video's project: read with the video by video_get_for_user,
    else read now (the caller checked that the user is a member)."""
    role = getattr(video, "reader_role", None)
    if role is None:
        role = membership_require(user=user, project_id=video.project_id).role
    return role
