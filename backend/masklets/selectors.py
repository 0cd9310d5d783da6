from django.db.models import Count, Q, QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.masklets.models import Masklet, MaskletFrame, Prompt
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.projects.permissions import membership_require
from backend.videos.models import Video


def masklet_frame_count() -> Count:
    """Frames the masklet has a non-empty mask on: propagation stores empty masks where the
    object is gone, and those are not frames of the object."""
    return Count("frames", filter=Q(frames__area__gt=0))


def masklet_own_q(*, user: User) -> Q:
    """Masklets the user is the annotator of: their task's, or created by them outside tasks."""
    return Q(task__assignee_id=user.pk) | Q(task__isnull=True, created_by_id=user.pk)


def masklet_sees_only_own(*, role: str, project: Project) -> bool:
    """Consensus mode: the k annotators of a video work independently, so an annotator sees
    only the masklets of tasks assigned to them (managers and reviewers see all)."""
    return role == Role.ANNOTATOR and project.consensus_k > 1


def masklet_list(*, video: Video, user: User) -> QuerySet[Masklet]:
    """The video's masklets the user may see (video from video_get_for_user)."""
    masklets = Masklet.objects.filter(video=video)
    membership = membership_require(user=user, project_id=video.project_id)
    if masklet_sees_only_own(role=membership.role, project=video.project):
        masklets = masklets.filter(masklet_own_q(user=user))
    return masklets.annotate(frame_count=masklet_frame_count()).order_by("id")


def masklet_get_for_user(*, user: User, masklet_id: int) -> Masklet:
    """Any member of the masklet's project may read it, except another annotator's masklet in
    consensus mode (404, as if it did not exist)."""
    masklet = Masklet.objects.select_related("video__project").filter(pk=masklet_id).first()
    if masklet is None:
        raise Http404("No such masklet.")
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    if (
        masklet_sees_only_own(role=membership.role, project=masklet.video.project)
        and not Masklet.objects.filter(masklet_own_q(user=user), pk=masklet.pk).exists()
    ):
        raise Http404("No such masklet.")
    return masklet


def masklet_get_for_edit(*, user: User, masklet_id: int, lock: bool = False) -> Masklet:
    """The masklet if the user may change its masks: a manager of the project, or the
    annotator its task is assigned to. Reviewers never edit masks. Raises Http404 / 403."""
    queryset = Masklet.objects.select_related("video", "task")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    masklet = queryset.filter(pk=masklet_id).first()
    if masklet is None:
        raise Http404("No such masklet.")
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    masklet_check_editor(masklet=masklet, user=user, role=membership.role)
    return masklet


def masklet_check_editor(*, masklet: Masklet, user: User, role: str) -> None:
    if role == Role.MANAGER:
        return
    if role == Role.ANNOTATOR:
        if masklet.task is not None and masklet.task.assignee_id == user.pk:
            return
        raise PermissionDenied("Annotators edit only masklets of tasks assigned to them.")
    raise PermissionDenied("Reviewers read masklets but never edit masks.")


def masklet_frame_list(
    *, masklet: Masklet, start: int | None = None, end: int | None = None
) -> QuerySet[MaskletFrame]:
    """Frames with start <= frame_index < end, in frame order."""
    frames = MaskletFrame.objects.filter(masklet=masklet)
    if start is not None:
        frames = frames.filter(frame_index__gte=start)
    if end is not None:
        frames = frames.filter(frame_index__lt=end)
    return frames.order_by("frame_index")


def prompt_list(*, masklet: Masklet) -> QuerySet[Prompt]:
    return Prompt.objects.filter(masklet=masklet).order_by("order")
