from collections.abc import Iterable
from dataclasses import dataclass

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
from backend.videos.selectors import video_reader_role


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
    if masklet_sees_only_own(role=video_reader_role(video=video, user=user), project=video.project):
        masklets = masklets.filter(masklet_own_q(user=user))
    return masklets.annotate(frame_count=masklet_frame_count()).order_by("id")


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


def masklet_own_ids_if_blind(*, video: Video, user: User, role: str) -> frozenset[int] | None:
    """None when the user sees every masklet of the video; in consensus mode, for an
    annotator, the ids of their own."""
    if not masklet_sees_only_own(role=role, project=video.project):
        return None
    own = Masklet.objects.filter(video=video).filter(masklet_own_q(user=user))
    return frozenset(own.values_list("pk", flat=True))


@dataclass(frozen=True)
class PropagationJobView:
    """Propagation jobs as one user may see them: `shown` gives a job's masklet ids, cut to
    the user's own in consensus mode."""

    own: frozenset[int] | None

    def shown(self, job: PropagationJob) -> list[int]:
        ids = (link.masklet_id for link in job.propagation_masklets.all())
        return sorted(pk for pk in ids if self.own is None or pk in self.own)


def propagation_job_list_for_user(
    *, video: Video, user: User
) -> tuple[QuerySet[PropagationJob], PropagationJobView]:
    """The video's jobs; an annotator in consensus mode sees only those of their masklets."""
    role = video_reader_role(video=video, user=user)
    own = masklet_own_ids_if_blind(video=video, user=user, role=role)
    jobs = PropagationJob.objects.filter(video=video).prefetch_related("propagation_masklets")
    if own is not None:
        jobs = jobs.filter(
            Q(propagation_masklets__masklet_id__in=own) | Q(created_by_id=user.pk)
        ).distinct()
    return jobs, PropagationJobView(own=own)


def propagation_job_get_for_user(
    *, user: User, job_id: int, roles: Iterable[str] = tuple(Role.values)
) -> tuple[PropagationJob, PropagationJobView, str]:
    """The job, how the user sees it, and their role (another annotator's job in consensus
    mode: 404)."""
    job = (
        PropagationJob.objects.select_related("video__project")
        .prefetch_related("propagation_masklets")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.video is None:
        raise Http404("No such propagation.")
    membership = membership_require(user=user, project_id=job.video.project_id, roles=roles)
    view = PropagationJobView(
        own=masklet_own_ids_if_blind(video=job.video, user=user, role=membership.role)
    )
    if job.created_by_id != user.pk and view.own is not None and not view.shown(job):
        raise Http404("No such propagation.")
    return job, view, membership.role


def propagation_job_get_for_cancel(*, user: User, job_id: int) -> PropagationJob:
    """The job if the user may stop it: a manager, or an annotator who edits every masklet
    the job writes (their own; not another annotator's)."""
    job, view, role = propagation_job_get_for_user(
        user=user, job_id=job_id, roles=(Role.MANAGER, Role.ANNOTATOR)
    )
    masklets = Masklet.objects.filter(propagations__job_id=job.pk).select_related("task")
    for masklet in masklets:
        if view.own is not None and masklet.pk not in view.own:
            raise PermissionDenied("This propagation also writes masklets that are not yours.")
        try:
            masklet_check_editor(masklet=masklet, user=user, role=role)
        except PermissionDenied as exc:
            raise PermissionDenied(
                "Only a manager, or the annotator of its masklets, can cancel a propagation."
            ) from exc
    return job
