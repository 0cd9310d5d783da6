"""Auto-annotation jobs: create and cancel (request side); record a key frame's proposals,
submit propagated batches, clean up after a cancel (the run, worker/tasks/automask.py).

A job prompts SAM 2's automatic mask generator on each key frame; each generated mask not
covered by an existing masklet (or an earlier proposal) becomes a masklet of source auto
whose SAM 2 input is its mask, given as a MASK entry on its key frame in the video's action
log. Each key frame's new masklets are propagated through the whole video in object
batches on the video's one SAM 2 state (worker/propagation.py), and each propagated batch
lands as submitted in the verification queue. The life cycle (progress, cancel, retries,
recovery after a worker loss) is backend/jobs; a resumed run skips the key frames already
recorded and the batches already submitted.
"""

import math
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.automask.dedup import select_new_masks
from backend.automask.enums import KeyFrameMode
from backend.automask.models import AutoKeyFrame, AutoMaskJob, AutoProposal
from backend.common import rle
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.jobs.enums import ACTIVE, JobKind
from backend.jobs.models import Job
from backend.jobs.services import job_cancel, job_create, job_lock_for_run, job_progress
from backend.masklets.actions import action_append
from backend.masklets.enums import ActionKind, ActionState, MaskletSource, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame, PropagationMasklet
from backend.masklets.services import masklet_delete
from backend.reviews.services import masklet_submit_automatic
from backend.videos.models import Video

# Colours of auto masklets, in turn (distinct on most frames).
PALETTE = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6")


class AutomaskParams(TypedDict):
    key_frame_mode: str
    every_s: float | None
    key_frames: list[int]  # resolved at creation, ascending
    # AutomaskSettings keys (sam2engine AutomaticMaskSettings), as the API bounds them.
    settings: dict[str, Any]
    max_masklets: int
    # A generated mask whose IoU with an existing mask on its frame is above this is skipped.
    dedup_iou: float
    # Objects propagated together (one run of the video's state per batch).
    objects_per_batch: int


@dataclass(frozen=True)
class GeneratedMask:
    """One mask of the generator on a key frame, at the video's size."""

    rle: rle.Rle
    predicted_iou: float
    stability_score: float
    point: tuple[float, float]


def resolve_key_frames(
    *, video: Video, mode: str, every_s: float | None, frames: list[int] | None
) -> list[int]:
    """The key frames a job prompts: frame 0, one every ``every_s`` seconds from frame 0, or
    the listed frames (each within the video), ascending and without repeats."""
    count = video.frame_count
    if mode == KeyFrameMode.FIRST:
        return [0]
    if mode == KeyFrameMode.EVERY:
        if not every_s or every_s <= 0:
            raise ApplicationError("Give every_s (seconds between key frames).", status=400)
        step = max(1, round(every_s * (video.fps or 1.0)))
        return list(range(0, count, step))
    if not frames:
        raise ApplicationError("Give the key frames to use (frames).", status=400)
    outside = sorted({f for f in frames if not 0 <= f < count})
    if outside:
        raise ApplicationError(
            f"Frame(s) {', '.join(map(str, outside))} are outside the video's {count} frames.",
            extra={"frames": outside},
            status=400,
        )
    return sorted(set(frames))


def units_per_key_frame(video: Video) -> int:
    """Progress units of one key frame: 1 for generating its masks, then one per frame a
    propagation through the whole video tracks (both directions share the key frame)."""
    return video.frame_count + 1


@transaction.atomic
def automask_job_create(
    *,
    video: Video,
    author: User,
    key_frame_mode: str,
    settings: dict[str, Any],
    max_masklets: int,
    dedup_iou: float,
    every_s: float | None = None,
    frames: list[int] | None = None,
    objects_per_batch: int = 8,
) -> AutoMaskJob:
    """A queued auto-annotation job of the video (one at a time per video: two would
    propose the same objects); its wake-up goes out on commit."""
    if not video.is_ready:
        raise ApplicationError(
            "The video is not ready yet (frames are still being extracted).",
            extra={"status": video.status},
            status=409,
        )
    Video.objects.select_for_update().filter(pk=video.pk).first()
    running = list(
        Job.objects.filter(video=video, kind=JobKind.AUTOMASK, status__in=ACTIVE).values_list(
            "pk", flat=True
        )
    )
    if running:
        raise ApplicationError(
            "An auto-annotation of this video is already queued or running; cancel it or "
            "wait for it to finish.",
            extra={"jobs": running},
            status=409,
        )
    key_frames = resolve_key_frames(
        video=video, mode=key_frame_mode, every_s=every_s, frames=frames
    )
    params = AutomaskParams(
        key_frame_mode=key_frame_mode,
        every_s=every_s,
        key_frames=key_frames,
        settings=settings,
        max_masklets=max_masklets,
        dedup_iou=dedup_iou,
        objects_per_batch=objects_per_batch,
    )
    job = job_create(
        kind=JobKind.AUTOMASK,
        project=video.project,
        video=video,
        created_by=author,
        params=dict(params),
        progress_total=len(key_frames) * units_per_key_frame(video),
    )
    return AutoMaskJob.objects.get(pk=job.pk)


def automask_job_cancel(*, job: AutoMaskJob) -> AutoMaskJob:
    """Stops the job: a queued one never starts; a running one stops at its next frame,
    keeping the batches already submitted and removing masklets not propagated yet."""
    job_cancel(job=job)
    return AutoMaskJob.objects.get(pk=job.pk)


# ---- the run (worker side) --------------------------------------------------------------


def existing_masks(*, video_id: int, frame_index: int) -> list[rle.Rle]:
    """Every non-empty mask of the video's masklets on the frame (whoever made them)."""
    return list(
        MaskletFrame.objects.filter(
            masklet__video_id=video_id, frame_index=frame_index, area__gt=0
        ).values_list("rle", flat=True)
    )


def key_frames_recorded(*, job: Job) -> set[int]:
    return set(AutoKeyFrame.objects.filter(job=job).values_list("frame_index", flat=True))


@transaction.atomic
def automask_key_frame_record(
    *, job: AutoMaskJob, frame_index: int, generated: list[GeneratedMask], generate_s: float
) -> list[AutoProposal] | None:
    """Turns the generator's masks on a key frame into auto masklets (each with its mask as
    a MASK entry on the frame in the video's SAM 2 log), skipping those covered by an
    existing mask on the frame (IoU above the job's threshold) and those over the job's cap.
    None when the run should stop (cancelled or taken over)."""
    locked = job_lock_for_run(job)
    if locked is None:
        return None
    if AutoKeyFrame.objects.filter(job=job, frame_index=frame_index).exists():
        return list(AutoProposal.objects.filter(job=job, key_frame=frame_index).order_by("id"))
    proposed = AutoProposal.objects.filter(job=job).count()
    selection = select_new_masks(
        candidates=[g.rle for g in generated],
        existing=existing_masks(video_id=job.video_id, frame_index=frame_index),
        iou_threshold=job.dedup_iou,
        room=max(0, job.max_masklets - proposed),
    )
    proposals = []
    for number, index in enumerate(selection.chosen, start=proposed + 1):
        mask = generated[index]
        masklet = Masklet.objects.create(
            video_id=job.video_id,
            name=f"Auto {number}",
            color=PALETTE[(number - 1) % len(PALETTE)],
            source=MaskletSource.AUTO,
            # Made by SAM 2, not by a person: anyone may verify it, and it counts as no
            # annotator's work.
            created_by=None,
        )
        event_record(
            project_id=job.project_id,
            video_id=job.video_id,
            kind=EventKind.MASKLET_CREATED,
            actor_id=job.created_by_id,
            payload={"masklet": masklet.pk, "name": masklet.name},
        )
        action_append(
            video_id=job.video_id,
            kind=ActionKind.MASK,
            object_id=masklet.pk,
            frame_index=frame_index,
            payload={"rle": dict(mask.rle), "auto": job.pk},
            state=ActionState.PENDING,
        )
        PropagationMasklet.objects.create(job=job, masklet=masklet)
        proposals.append(
            AutoProposal.objects.create(
                job=job,
                project_id=job.project_id,
                masklet=masklet,
                key_frame=frame_index,
                predicted_iou=_finite(mask.predicted_iou),
                stability_score=_finite(mask.stability_score),
                point=[float(mask.point[0]), float(mask.point[1])],
                area=rle.area(mask.rle),
                bbox=rle.bbox(mask.rle),
            )
        )
    AutoKeyFrame.objects.create(
        job=job,
        frame_index=frame_index,
        generated=len(generated),
        duplicates=selection.duplicates,
        over_cap=selection.over_cap,
        generate_s=generate_s,
    )
    position = job.key_frames.index(frame_index)
    if not job_progress(job=job, done=position * units_per_key_frame(job.video) + 1):
        return None
    return proposals


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


@transaction.atomic
def automask_batch_submit(*, job: AutoMaskJob, proposal_ids: list[int]) -> bool:
    """A propagated batch lands in the verification queue: its masklets become submitted.
    Returns whether the run should go on."""
    locked = job_lock_for_run(job)
    if locked is None:
        return False
    now = timezone.now()
    proposals = AutoProposal.objects.filter(
        pk__in=proposal_ids, submitted_at__isnull=True
    ).select_related("masklet__video")
    for proposal in proposals:
        masklet = proposal.masklet
        if masklet is not None and masklet.status == MaskletStatus.DRAFT:
            masklet_submit_automatic(masklet=masklet)
        proposal.submitted_at = now
        proposal.save(update_fields=["submitted_at", "updated_at"])
    return not locked.cancel_requested


def automask_unsubmitted_remove(*, job: AutoMaskJob) -> int:
    """After a cancel: the job's masklets not propagated and submitted yet leave the video
    (and its SAM 2 state), and their proposals the job's counts. Returns how many."""
    removed = 0
    pending = AutoProposal.objects.filter(
        job=job, submitted_at__isnull=True, masklet__isnull=False
    ).select_related("masklet")
    for proposal in pending:
        masklet = proposal.masklet
        assert masklet is not None
        with transaction.atomic():
            locked = (
                Masklet.objects.select_for_update(of=("self",))
                .select_related("video")
                .filter(pk=masklet.pk)
                .first()
            )
            if locked is None or locked.status != MaskletStatus.DRAFT or job.created_by is None:
                continue
            masklet_delete(masklet=locked, actor=job.created_by, version=locked.version)
            proposal.delete()
            removed += 1
    return removed


def proposed_count(job: Job) -> int:
    return AutoProposal.objects.filter(job=job).count()
