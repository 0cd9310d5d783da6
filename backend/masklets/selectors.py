from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.masklets.models import Masklet, MaskletFrame, Prompt, PropagationJob
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.projects.permissions import membership_require
from backend.videos.models import Video


def masklet_own_q(*, user: User) -> Q:
    """Masklets the user is the annotator of: their task's, or created by them outside tasks."""
    return Q(task__assignee_id=user.pk) | Q(task__isnull=True, created_by_id=user.pk)


def masklet_sees_only_own(*, role: str, project: Project) -> bool:
    """Consensus mode: the k annotators of a video work independently, so an annotator sees
    only the masklets of tasks assigned to them (managers and reviewers see all)."""
    return role == Role.ANNOTATOR and project.consensus_k > 1


def masklet_hidden_from(*, masklet: Masklet, user: User, role: str) -> bool:
    """Another annotator's masklet in consensus mode: for this annotator it does not exist
    (404 wherever it is named). Needs masklet.video.project and masklet.task loaded."""
    if not masklet_sees_only_own(role=role, project=masklet.video.project):
        return False
    annotator = masklet.task.assignee_id if masklet.task_id is not None else masklet.created_by_id
    return annotator != user.pk


def masklet_list(*, video: Video, user: User) -> QuerySet[Masklet]:
    """The video's masklets the user may see (video from video_get_for_user)."""
    masklets = Masklet.objects.filter(video=video)
    membership = membership_require(user=user, project_id=video.project_id)
    if masklet_sees_only_own(role=membership.role, project=video.project):
        masklets = masklets.filter(masklet_own_q(user=user))
    return masklets.annotate(frame_count=Count("frames")).order_by("id")


def masklet_get_for_user(*, user: User, masklet_id: int) -> Masklet:
    """Any member of the masklet's project may read it, except another annotator's masklet in
    consensus mode (404, as if it did not exist)."""
    masklet = Masklet.objects.select_related("video__project", "task").filter(pk=masklet_id).first()
    if masklet is None:
        raise Http404("No such masklet.")
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    if masklet_hidden_from(masklet=masklet, user=user, role=membership.role):
        raise Http404("No such masklet.")
    return masklet


def masklet_get_for_edit(
    *, user: User, masklet_id: int, lock: bool = False, frames: Iterable[int] = ()
) -> Masklet:
    """The masklet if the user may change its masks on `frames`: a manager of the project, or
    the annotator its task is assigned to, inside the task's frame range. Reviewers never edit
    masks. Raises Http404 / 403."""
    queryset = Masklet.objects.select_related("video__project", "task")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    masklet = queryset.filter(pk=masklet_id).first()
    if masklet is None:
        raise Http404("No such masklet.")
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    if masklet_hidden_from(masklet=masklet, user=user, role=membership.role):
        raise Http404("No such masklet.")
    masklet_check_editor(masklet=masklet, user=user, role=membership.role)
    masklet_check_frames(masklet=masklet, role=membership.role, frames=frames)
    return masklet


def masklet_check_editor(*, masklet: Masklet, user: User, role: str) -> None:
    if role == Role.MANAGER:
        return
    if role == Role.ANNOTATOR:
        if masklet.task is not None and masklet.task.assignee_id == user.pk:
            return
        raise PermissionDenied("Annotators edit only masklets of tasks assigned to them.")
    raise PermissionDenied("Reviewers read masklets but never edit masks.")


def masklet_frame_range(*, masklet: Masklet, role: str) -> tuple[int, int]:
    """Frames [start, end) the role may write on the masklet: an annotator its task's range,
    a manager the whole video."""
    video = masklet.video
    if role == Role.MANAGER or masklet.task is None:
        return 0, video.frame_count
    task = masklet.task
    return task.frame_start, video.frame_count if task.frame_end is None else task.frame_end


def masklet_check_frames(*, masklet: Masklet, role: str, frames: Iterable[int]) -> None:
    """403 when a frame of the video lies outside the range the role may write
    (masklet_frame_range); frames outside the video are the services' 400."""
    start, end = masklet_frame_range(masklet=masklet, role=role)
    in_video = range(masklet.video.frame_count)
    outside = sorted({f for f in frames if f in in_video and not start <= f < end})
    if outside:
        raise ApplicationError(
            f"Your task covers frames {start}..{end - 1} of this video; frame {outside[0]} is "
            "outside it.",
            extra={"frame_start": start, "frame_end": end, "frames_outside": outside[:50]},
            status=403,
        )


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


# ---- propagation jobs ---------------------------------------------------------------------


def propagation_masklets_get_for_edit(
    *, video: Video, user: User, masklet_ids: list[int]
) -> tuple[list[Masklet], str]:
    """The video's masklets to propagate, row-locked (caller is in a transaction), and the
    user's role. Someone else's masklet in consensus mode counts as missing (400); one the
    user may not edit is 403. The locks make a concurrent status change (e.g. a manager's
    override to accepted) wait for the job, or the job see the new status."""
    membership = membership_require(
        user=user, project_id=video.project_id, roles=(Role.MANAGER, Role.ANNOTATOR)
    )
    masklets = list(
        Masklet.objects.select_for_update(of=("self",))
        .select_related("video__project", "task")
        .filter(pk__in=masklet_ids, video=video)
        .order_by("pk")
    )
    visible = [
        m for m in masklets if not masklet_hidden_from(masklet=m, user=user, role=membership.role)
    ]
    if len(visible) != len(set(masklet_ids)):
        raise ApplicationError(
            "Some masklets do not exist on this video.",
            extra={"masklet_ids": sorted(set(masklet_ids) - {m.pk for m in visible})},
        )
    for masklet in visible:
        masklet_check_editor(masklet=masklet, user=user, role=membership.role)
    return visible, membership.role


def propagation_job_list_for_user(*, video: Video, user: User) -> QuerySet[PropagationJob]:
    """The video's jobs; an annotator in consensus mode sees only those of their masklets."""
    jobs = PropagationJob.objects.filter(video=video).prefetch_related("masklets__task")
    membership = membership_require(user=user, project_id=video.project_id)
    if masklet_sees_only_own(role=membership.role, project=video.project):
        own = Masklet.objects.filter(video=video).filter(masklet_own_q(user=user))
        jobs = jobs.filter(Q(masklets__in=own) | Q(created_by_id=user.pk)).distinct()
    return jobs


def propagation_job_get_for_user(
    *, user: User, job_id: int, roles: Iterable[str] = tuple(Role.values)
) -> PropagationJob:
    """The job if the user may see it (another annotator's job in consensus mode: 404)."""
    job = (
        PropagationJob.objects.select_related("video__project")
        .prefetch_related("masklets__task")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise Http404("No such propagation.")
    membership = membership_require(user=user, project_id=job.video.project_id, roles=roles)
    masklets = [_with_video(m, job) for m in job.masklets.all()]
    if job.created_by_id != user.pk and all(
        masklet_hidden_from(masklet=m, user=user, role=membership.role) for m in masklets
    ):
        raise Http404("No such propagation.")
    job.viewer_role = membership.role  # type: ignore[attr-defined]
    return job


def propagation_job_get_for_cancel(*, user: User, job_id: int) -> PropagationJob:
    """The job if the user may stop it: a manager, or an annotator who edits every masklet
    the job writes (their own; not another annotator's)."""
    job = propagation_job_get_for_user(
        user=user, job_id=job_id, roles=(Role.MANAGER, Role.ANNOTATOR)
    )
    for masklet in job.masklets.all():
        if masklet_hidden_from(masklet=masklet, user=user, role=job.viewer_role):
            raise PermissionDenied("This propagation also writes masklets that are not yours.")
        try:
            masklet_check_editor(masklet=masklet, user=user, role=job.viewer_role)
        except PermissionDenied as exc:
            raise PermissionDenied(
                "Only a manager, or the annotator of its masklets, can cancel a propagation."
            ) from exc
    return job


def propagation_job_masklet_ids(*, job: PropagationJob, user: User, role: str) -> list[int]:
    """The job's masklets as the user may see them (own only in consensus mode)."""
    return sorted(
        m.pk
        for m in job.masklets.all()
        if not masklet_hidden_from(masklet=_with_video(m, job), user=user, role=role)
    )


def _with_video(masklet: Masklet, job: PropagationJob) -> Masklet:
    masklet.video = job.video
    return masklet
