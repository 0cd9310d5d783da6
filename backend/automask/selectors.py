"""Reads of auto-annotation: jobs with their key frames, and the pipeline's yield."""

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from backend.accounts.models import User
from backend.automask.models import AutoKeyFrame, AutoMaskJob, AutoProposal
from backend.masklets.enums import MaskletSource, MaskletStatus
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.projects.permissions import ANY_ROLE, membership_require
from backend.quality.models import ActivityRecord
from backend.videos.models import Video


def automask_job_get_for_user(*, user: User, job_id: int, roles=ANY_ROLE) -> AutoMaskJob:  # type: ignore[no-untyped-def]
    job = AutoMaskJob.objects.select_related("video").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such auto-annotation job.")
    membership_require(user=user, project_id=job.project_id, roles=roles)
    return job


def automask_job_get_for_cancel(*, user: User, job_id: int) -> AutoMaskJob:
    return automask_job_get_for_user(user=user, job_id=job_id, roles=(Role.MANAGER,))


def automask_job_list(*, video: Video) -> QuerySet[AutoMaskJob]:
    return AutoMaskJob.objects.filter(video=video).order_by("-id")


def automask_key_frames(*, job: AutoMaskJob) -> QuerySet[AutoKeyFrame]:
    return AutoKeyFrame.objects.filter(job=job).order_by("frame_index")


def automask_job_counts(*, job: AutoMaskJob) -> dict[str, int]:
    """The job's auto masklets: proposed, submitted to verification, and of those still
    awaiting a verdict, accepted, rejected (turned into manual tasks)."""
    return _yield_counts(AutoProposal.objects.filter(job=job))


def _yield_counts(proposals: QuerySet[AutoProposal]) -> dict[str, int]:
    counts = proposals.aggregate(
        proposed=Count("id"),
        submitted=Count("id", filter=Q(submitted_at__isnull=False)),
        rejected=Count("id", filter=Q(rejected_at__isnull=False)),
        accepted=Count(
            "id",
            filter=Q(rejected_at__isnull=True, masklet__status=MaskletStatus.ACCEPTED),
        ),
        awaiting=Count(
            "id",
            filter=Q(rejected_at__isnull=True, masklet__status=MaskletStatus.SUBMITTED),
        ),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def automask_yield(*, project: Project) -> dict[str, Any]:
    """The automatic pipeline's yield, as SA-V's data engine reported it: auto masklets
    proposed, accepted as they were, rejected (then corrected as manual masklets), and
    annotator time on corrected masklets vs manual ones.

    Time comes from the workspace's activity records (seconds per user and video). A user's
    seconds on a video go to the masklets they annotate there (their tasks' masklets, or the
    ones they made outside a task), split evenly per masklet: to "corrected" for masklets
    that came from a rejected auto masklet, to "manual" for the others. Seconds on a video
    where the user annotates no masklet count in neither."""
    counts = _yield_counts(AutoProposal.objects.filter(project=project))
    corrected_ids = set(
        AutoProposal.objects.filter(project=project, rejected_at__isnull=False)
        .exclude(masklet__isnull=True)
        .values_list("masklet_id", flat=True)
    )
    seconds = {
        (user, video): total
        for user, video, total in ActivityRecord.objects.filter(project=project)
        .values_list("user_id", "video_id")
        .annotate(total=Sum("seconds"))
        .order_by()
    }
    work: dict[tuple[int, int], list[int]] = defaultdict(list)
    masklets = (
        Masklet.objects.filter(video__project=project, is_ground_truth=False)
        .exclude(source=MaskletSource.AUTO)
        .values_list("pk", "video_id", "task__assignee_id", "task_id", "created_by_id")
    )
    for pk, video_id, assignee, task_id, creator in masklets:
        annotator = assignee if task_id is not None else creator
        if annotator is not None:
            work[(annotator, video_id)].append(pk)
    corrected_s = manual_s = 0.0
    for key, ids in work.items():
        share = seconds.get(key, 0) / len(ids)
        on_corrected = sum(1 for pk in ids if pk in corrected_ids)
        corrected_s += share * on_corrected
        manual_s += share * (len(ids) - on_corrected)
    n_corrected = sum(1 for ids in work.values() for pk in ids if pk in corrected_ids)
    n_manual = sum(len(ids) for ids in work.values()) - n_corrected
    return {
        **counts,
        "acceptance_rate": counts["accepted"] / (counts["accepted"] + counts["rejected"])
        if counts["accepted"] + counts["rejected"]
        else None,
        "corrected_masklets": n_corrected,
        "corrected_seconds": round(corrected_s, 1),
        "seconds_per_corrected_masklet": corrected_s / n_corrected if n_corrected else None,
        "manual_masklets": n_manual,
        "manual_seconds": round(manual_s, 1),
        "seconds_per_manual_masklet": manual_s / n_manual if n_manual else None,
    }
