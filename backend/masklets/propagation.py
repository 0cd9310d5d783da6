"""Propagation as a job kind: create one, store its frames; the life cycle is backend/jobs.

The run itself (streaming frames through SAM 2) is worker/tasks/segmentation.py; it calls
`propagation_frames_store` for each batch of frames.
"""

from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.jobs import registry
from backend.jobs.enums import JobKind, Transition
from backend.jobs.models import Job
from backend.jobs.services import (
    job_cancel,
    job_create,
    job_lock_for_run,
    job_progress,
    job_request_stop,
)
from backend.masklets import jobs
from backend.masklets.actions import object_has_state
from backend.masklets.enums import Direction, FrameOrigin, StopReason
from backend.masklets.models import (
    Masklet,
    MaskletFrame,
    PropagationJob,
    PropagationMasklet,
)
from backend.reviews.services import masklet_mark_reworked
from backend.videos.models import Video

# Origins a person made: propagation keeps them unless the job says overwrite.
PERSON_MADE = (FrameOrigin.CLICK, FrameOrigin.EDITED, FrameOrigin.IMPORTED)


class PropagationParams(TypedDict):
    start_frame: int
    direction: str
    # Frames [frame_start, frame_end) the job may write; None: to the video's last frame.
    frame_start: int
    frame_end: int | None
    # Frames a person made (click, edited, imported) are kept unless this is set.
    overwrite: bool
    # Re-propagate only what changed: each pass stops by itself where the new masks agree
    # with the stored ones again, or before the next frame a person made (AGREEMENT_*).
    until_agreement: bool


# The stop rule of an `until_agreement` run, per object and pass: the object leaves the run
# once its new masks overlap the stored ones with IoU >= AGREEMENT_IOU on AGREEMENT_FRAMES
# consecutive frames, or before the next frame where a person gave it a prompt or a mask.
AGREEMENT_IOU = 0.98
AGREEMENT_FRAMES = 3


class ObjectStop(TypedDict):
    last: int  # the last frame recomputed for the object (-1: none)
    reason: StopReason
    # The frame that ended it: its last agreeing frame, or the person-made frame it stopped
    # before (not recomputed), or its pass's last frame.
    at: int


class PassStop(TypedDict):
    """Where one pass (forward or backward) of an `until_agreement` run stopped."""

    reverse: bool
    last: int  # the last frame the pass recomputed (-1: none)
    reason: StopReason  # why the last object to stop stopped
    objects: dict[str, ObjectStop]  # per masklet id


@dataclass(frozen=True)
class PropagatedMask:
    masklet_id: int
    frame_index: int
    rle: dict
    area: int
    bbox: list[float]
    score: float


def _frames_in_job(*, start_frame: int, direction: str, frame_start: int, frame_end: int) -> int:
    forward = frame_end - start_frame if direction != Direction.BACKWARD else 0
    backward = start_frame - frame_start + 1 if direction != Direction.FORWARD else 0
    # The start frame is counted once when both directions run.
    return forward + backward - (1 if direction == Direction.BOTH else 0)


@transaction.atomic
def propagation_job_create(
    *,
    video: Video,
    author: User,
    masklets: list[Masklet],
    start_frame: int,
    direction: str,
    frame_start: int = 0,
    frame_end: int | None = None,
    overwrite: bool = False,
    until_agreement: bool = False,
) -> PropagationJob:
    """A queued propagation job; its wake-up goes out on commit."""
    end = video.frame_count if frame_end is None else frame_end
    if not 0 <= frame_start <= start_frame < end <= video.frame_count:
        raise ApplicationError(
            f"Start frame {start_frame} and range [{frame_start}, {end}) must lie within the "
            f"video's {video.frame_count} frames, with the start inside the range.",
            status=400,
        )
    if not masklets:
        raise ApplicationError("Give at least one masklet to propagate.", status=400)
    for masklet in masklets:
        if masklet.video_id != video.pk:
            raise ApplicationError(f"Masklet {masklet.pk} belongs to another video.", status=400)
        if not masklet.is_editable:
            raise ApplicationError(f"Masklet {masklet.pk} is under review.", status=409)
    missing = masklets_without_start(video=video, masklets=masklets, start_frame=start_frame)
    if missing:
        raise ApplicationError(
            f"Nothing to start from: give masklet(s) {', '.join(map(str, missing))} a click, "
            f"a box or a mask on frame {start_frame} (or propagate from a frame that has one).",
            extra={"masklets_without_prompts": missing},
            status=400,
        )
    params = PropagationParams(
        start_frame=start_frame,
        direction=direction,
        frame_start=frame_start,
        frame_end=frame_end,
        overwrite=overwrite,
        until_agreement=until_agreement,
    )
    job = job_create(
        kind=JobKind.PROPAGATION,
        project=video.project,
        video=video,
        created_by=author,
        params=dict(params),
        progress_total=_frames_in_job(
            start_frame=start_frame, direction=direction, frame_start=frame_start, frame_end=end
        ),
    )
    PropagationMasklet.objects.bulk_create(
        [PropagationMasklet(job=job, masklet=masklet) for masklet in masklets]
    )
    for masklet in masklets:
        masklet_mark_reworked(masklet=masklet, actor=author)
    return PropagationJob.objects.get(pk=job.pk)


def masklets_without_start(*, video: Video, masklets: list[Masklet], start_frame: int) -> list[int]:
    """Masklets SAM 2 could not propagate: no prompt or mask in the video's SAM 2 log, and
    no stored mask on the start frame to start from (e.g. an imported masklet elsewhere)."""
    missing = [m.pk for m in masklets if not object_has_state(video_id=video.pk, object_id=m.pk)]
    with_mask = set(
        MaskletFrame.objects.filter(
            masklet_id__in=missing, frame_index=start_frame, area__gt=0
        ).values_list("masklet_id", flat=True)
    )
    return [pk for pk in missing if pk not in with_mask]


def propagation_job_cancel(*, job: PropagationJob, actor: User) -> PropagationJob:
    """Stops the job at its next frame; a queued job never starts."""
    job_cancel(job=job)
    return PropagationJob.objects.get(pk=job.pk)


@transaction.atomic
def propagation_frames_store(*, job: Job, masks: list[PropagatedMask], frames_done: int) -> bool:
    """Upserts a batch of propagated masks (keeping person-made frames unless the job says
    overwrite), records progress with one event, and returns whether the run should go on
    (False once cancelled, taken over, or every masklet of the job was deleted).

    Masks of masklets deleted meanwhile are dropped: the job goes on with the others."""
    locked = job_lock_for_run(job)
    if locked is None:
        return False
    linked = PropagationMasklet.objects.filter(job_id=job.pk).values_list("masklet_id", flat=True)
    # Row locks: a masklet deleted concurrently is either gone here or deleted after this
    # commits (taking these frames with it), never half-way (a foreign-key error).
    live_rows = Masklet.objects.filter(pk__in=linked)
    if connection.features.has_select_for_update:
        live_rows = live_rows.select_for_update(
            no_key=connection.features.has_select_for_no_key_update
        )
    live = set(live_rows.values_list("pk", flat=True))
    if not live:
        job_request_stop(job=job, reason="Every masklet of this propagation was deleted.")
        return False
    written: dict[int, list[int]] = {}
    masks = [m for m in masks if m.masklet_id in live]
    if masks:
        kept: set[tuple[int, int]] = set()
        if not locked.params.get("overwrite", False):
            kept = set(
                MaskletFrame.objects.filter(
                    masklet_id__in={m.masklet_id for m in masks},
                    frame_index__in={m.frame_index for m in masks},
                    origin__in=PERSON_MADE,
                ).values_list("masklet_id", "frame_index")
            )
        rows = [
            MaskletFrame(
                masklet_id=m.masklet_id,
                frame_index=m.frame_index,
                rle=m.rle,
                area=m.area,
                bbox=m.bbox,
                origin=FrameOrigin.PROPAGATED,
                score=m.score,
            )
            for m in masks
            if (m.masklet_id, m.frame_index) not in kept
        ]
        if rows:
            MaskletFrame.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["masklet", "frame_index"],
                update_fields=["rle", "area", "bbox", "origin", "score", "updated_at"],
            )
            for row in rows:
                written.setdefault(row.masklet_id, []).append(row.frame_index)
            Masklet.objects.filter(pk__in=written).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
    return job_progress(
        job=job,
        done=frames_done,
        payload={
            "frames": {str(k): sorted(v) for k, v in written.items()},
            # New versions, so that clients keep editing without re-reading each masklet.
            "versions": {
                str(pk): version
                for pk, version in Masklet.objects.filter(pk__in=written).values_list(
                    "pk", "version"
                )
            },
        },
    )


def _payload(job: Job) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "frames_done": job.progress_done,
        "frames_total": job.progress_total,
    }
    if job.result.get("stops"):
        # Where each pass of an `until_agreement` run stopped, and why (propagation.done).
        payload["stops"] = job.result["stops"]
    return payload


registry.register(
    registry.JobKindSpec(
        kind=JobKind.PROPAGATION,
        task=jobs.PROPAGATE,
        # The queue of the worker holding the video's SAM 2 state (asked again at every
        # re-enqueue, so a job of a lost worker goes to the video's next holder).
        route=lambda job: jobs.propagation_queue(video_id=job.video_id),
        events={
            Transition.QUEUED: EventKind.PROPAGATION_QUEUED,
            Transition.RUNNING: EventKind.PROPAGATION_RUNNING,
            Transition.PROGRESS: EventKind.PROPAGATION_FRAMES,
            Transition.REQUEUED: EventKind.PROPAGATION_REQUEUED,
            Transition.DONE: EventKind.PROPAGATION_DONE,
            Transition.FAILED: EventKind.PROPAGATION_FAILED,
            Transition.CANCELLED: EventKind.PROPAGATION_CANCELLED,
        },
        payload=_payload,
    )
)
