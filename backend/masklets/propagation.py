"""Services of propagation jobs: create, start, store frames, finish, cancel, recover."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.services import event_record
from backend.masklets import jobs
from backend.masklets.actions import object_has_state
from backend.masklets.enums import Direction, FrameOrigin, JobStatus
from backend.masklets.models import Masklet, MaskletFrame, PropagationJob
from backend.reviews.services import masklet_mark_reworked
from backend.videos.models import Video

logger = logging.getLogger(__name__)

# Origins a person made: propagation keeps them unless the job says overwrite.
PERSON_MADE = (FrameOrigin.CLICK, FrameOrigin.EDITED, FrameOrigin.IMPORTED)


def _stale_after() -> timedelta:
    """A running job whose heartbeat is older than this lost its worker."""
    return timedelta(seconds=settings.PROPAGATION_STALE_AFTER_S)


# Runs of a job before it is given up as failed.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class PropagatedMask:
    masklet_id: int
    frame_index: int
    rle: dict
    area: int
    bbox: list[float]
    score: float


def _frames_in_job(
    *, video: Video, start_frame: int, direction: str, frame_start: int, frame_end: int
) -> int:
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
) -> PropagationJob:
    """Queues `masklets.propagate` on commit."""
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
    job = PropagationJob.objects.create(
        video=video,
        start_frame=start_frame,
        direction=direction,
        frame_start=frame_start,
        frame_end=frame_end,
        overwrite=overwrite,
        created_by=author,
        frames_total=_frames_in_job(
            video=video,
            start_frame=start_frame,
            direction=direction,
            frame_start=frame_start,
            frame_end=end,
        ),
    )
    job.masklets.set(masklets)
    for masklet in masklets:
        masklet_mark_reworked(masklet=masklet, actor=author)
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind="propagation.queued",
        actor_id=author.pk,
        payload=_job_payload(job),
    )
    transaction.on_commit(lambda: jobs.enqueue_propagation(job_id=job.pk))
    return job


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


def _job_payload(job: PropagationJob) -> dict:
    return {
        "job": job.pk,
        "status": job.status,
        "frames_done": job.frames_done,
        "frames_total": job.frames_total,
    }


@transaction.atomic
def propagation_job_start(*, job_id: int, worker: str) -> PropagationJob | None:
    """Claims a job for a worker; None when it must not run (finished, cancelled, or
    running elsewhere with a live heartbeat). Safe to call twice for one message."""
    job = PropagationJob.objects.select_for_update().select_related("video").get(pk=job_id)
    if job.is_finished:
        return None
    if (
        job.status == JobStatus.RUNNING
        and job.heartbeat_at
        and timezone.now() - job.heartbeat_at < _stale_after()
    ):
        return None
    if job.cancel_requested:
        _finish(job, JobStatus.CANCELLED)
        return None
    job.status, job.worker, job.heartbeat_at = JobStatus.RUNNING, worker, timezone.now()
    job.attempts += 1
    job.save(update_fields=["status", "worker", "heartbeat_at", "attempts", "updated_at"])
    event_record(
        project_id=job.video.project_id,
        video_id=job.video_id,
        kind="propagation.running",
        payload={**_job_payload(job), "worker": worker, "attempt": job.attempts},
    )
    return job


@transaction.atomic
def propagation_frames_store(
    *, job: PropagationJob, masks: list[PropagatedMask], frames_done: int
) -> bool:
    """Upserts a batch of propagated masks (keeping person-made frames unless the job says
    overwrite), records progress with one event, and returns whether the job should go on
    (False once cancel was requested)."""
    locked = PropagationJob.objects.select_for_update().get(pk=job.pk)
    if locked.status != JobStatus.RUNNING or locked.attempts != job.attempts:
        return False  # cancelled while queued, or another run took the job over
    written: dict[int, list[int]] = {}
    if masks:
        masklet_ids = {m.masklet_id for m in masks}
        kept = set()
        if not job.overwrite:
            kept = set(
                MaskletFrame.objects.filter(
                    masklet_id__in=masklet_ids,
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
    locked.frames_done = min(frames_done, locked.frames_total)
    locked.heartbeat_at = timezone.now()
    locked.save(update_fields=["frames_done", "heartbeat_at", "updated_at"])
    event_record(
        project_id=job.video.project_id,
        video_id=job.video_id,
        kind="propagation.frames",
        payload={
            **_job_payload(locked),
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
    return not locked.cancel_requested


def propagation_job_heartbeat(*, job_id: int, attempt: int) -> None:
    """The worker running this attempt of the job is alive (called by its announce thread)."""
    PropagationJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt).update(
        heartbeat_at=timezone.now()
    )


@transaction.atomic
def propagation_job_finish(*, job: PropagationJob, cancelled: bool = False) -> None:
    locked = PropagationJob.objects.select_for_update().select_related("video").get(pk=job.pk)
    if locked.attempts != job.attempts or locked.is_finished:
        return  # another run took the job over; it finishes it
    _finish(locked, JobStatus.CANCELLED if cancelled or locked.cancel_requested else JobStatus.DONE)


@transaction.atomic
def propagation_job_fail(*, job_id: int, reason: str) -> None:
    job = PropagationJob.objects.select_for_update().select_related("video").get(pk=job_id)
    if not job.is_finished:
        job.error = reason
        _finish(job, JobStatus.FAILED)


def _finish(job: PropagationJob, status: str) -> None:
    job.status = status
    job.save(update_fields=["status", "error", "updated_at"])
    event_record(
        project_id=job.video.project_id,
        video_id=job.video_id,
        kind=f"propagation.{status}",
        payload={**_job_payload(job), "error": job.error},
    )


@transaction.atomic
def propagation_job_cancel(*, job: PropagationJob, actor: User) -> PropagationJob:
    """Stops the job at its next frame; a queued job never starts."""
    locked = PropagationJob.objects.select_for_update().select_related("video").get(pk=job.pk)
    if locked.is_finished:
        return locked
    locked.cancel_requested = True
    locked.save(update_fields=["cancel_requested", "updated_at"])
    if locked.status == JobStatus.QUEUED:
        _finish(locked, JobStatus.CANCELLED)
    return locked


def propagation_jobs_recover() -> list[int]:
    """Running jobs whose worker stopped sending heartbeats go back to the queue (their saved
    frames stay); after MAX_ATTEMPTS runs they fail with the reason. Returns the job ids."""
    stale = PropagationJob.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=timezone.now() - _stale_after()
    )
    recovered = []
    for job_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            job = PropagationJob.objects.select_for_update().select_related("video").get(pk=job_id)
            if (
                job.status != JobStatus.RUNNING
                or job.heartbeat_at >= timezone.now() - _stale_after()
            ):
                continue
            if job.attempts >= MAX_ATTEMPTS:
                job.error = (
                    f"The worker {job.worker} stopped responding; gave up after "
                    f"{job.attempts} attempts. Frames already saved are kept."
                )
                _finish(job, JobStatus.FAILED)
            else:
                job.status = JobStatus.QUEUED
                job.save(update_fields=["status", "updated_at"])
                event_record(
                    project_id=job.video.project_id,
                    video_id=job.video_id,
                    kind="propagation.requeued",
                    payload={**_job_payload(job), "lost_worker": job.worker},
                )
                transaction.on_commit(lambda jid=job.pk: jobs.enqueue_propagation(job_id=jid))
            recovered.append(job_id)
    return recovered
