"""Ingest as a job kind: extract every frame of an uploaded video to an immutable JPEG.

The life cycle (claim, heartbeat, retries, failure) is backend/jobs; this module is the run
and what the video becomes when the job ends: ready with the frames that really decoded,
or failed with the reason (its partial frames deleted).
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

import cv2
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.jobs import registry
from backend.jobs.enums import JobKind, Transition
from backend.jobs.models import Job
from backend.jobs.runner import job_execute, worker_identity
from backend.jobs.services import JobStopped, job_progress
from backend.videos.enums import VideoStatus
from backend.videos.models import Video
from backend.videos.probe import iter_frames
from backend.videos.services import delete_frames

INGEST_TASK = "videos.ingest"
# Progress events per video: enough for a smooth bar, few enough to keep the log short.
PROGRESS_STEPS = 20


class IngestResult(TypedDict):
    frame_count: int  # frames that really decoded
    announced_frames: int  # what the container announced


def ingest_run(job: Job) -> IngestResult:
    """Decodes every frame to a JPEG. Safe to run twice (files are overwritten). The decoded
    count is authoritative: a container that over-announces ends with the frames that decode."""
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=job.video_id)
        if video.status == VideoStatus.READY:
            return IngestResult(frame_count=video.frame_count, announced_frames=video.frame_count)
        video.status, video.progress, video.status_reason = VideoStatus.PROCESSING, 0.0, ""
        video.save(update_fields=["status", "progress", "status_reason", "updated_at"])
    decoded = _write_frames(job, video)
    if decoded == 0:
        raise ApplicationError("No frame of the video could be decoded.")
    return IngestResult(frame_count=decoded, announced_frames=video.frame_count)


def video_ingest_now(*, video_id: int) -> None:
    """Runs the video's queued ingest in this process (scripts and benchmarks; workers run
    it from the queue)."""
    job = Job.objects.filter(kind=JobKind.INGEST, video_id=video_id).order_by("-id").first()
    if job is not None:
        job_execute(job_id=job.pk, worker=worker_identity(None), run=ingest_run)


def _write_frames(job: Job, video: Video) -> int:
    quality = [int(cv2.IMWRITE_JPEG_QUALITY), settings.FRAME_JPEG_QUALITY]
    step = max(1, video.frame_count // PROGRESS_STEPS)
    decoded = 0
    with _local_copy(video.file) as path:
        for index, frame in enumerate(iter_frames(path)):
            ok, jpeg = cv2.imencode(".jpg", frame, quality)
            if not ok:
                raise RuntimeError(f"JPEG encoding of frame {index} failed")
            default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
            decoded = index + 1
            if decoded % step == 0 and decoded < video.frame_count:
                with transaction.atomic():
                    Video.objects.filter(pk=video.pk).update(progress=decoded / video.frame_count)
                    if not job_progress(job=job, done=decoded, total=video.frame_count):
                        raise JobStopped
    return decoded


def _on_done(job: Job) -> None:
    Video.objects.filter(pk=job.video_id).update(
        status=VideoStatus.READY, progress=1.0, frame_count=job.result["frame_count"]
    )


def _on_failed(job: Job) -> None:
    Video.objects.filter(pk=job.video_id).update(status=VideoStatus.FAILED, status_reason=job.error)
    video = Video.objects.filter(pk=job.video_id).first()
    if video is not None:
        transaction.on_commit(lambda: delete_frames(video))


def _payload(job: Job) -> dict[str, Any]:
    return {k: job.result[k] for k in ("frame_count", "announced_frames") if k in job.result}


@contextmanager
def _local_copy(name: str) -> Iterator[Path]:
    """A local filesystem path for a stored file (a temporary copy when storage is remote)."""
    try:
        local = Path(default_storage.path(name))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
        with default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, tmp, length=1024 * 1024)
        tmp.flush()
        yield Path(tmp.name)


registry.register(
    registry.JobKindSpec(
        kind=JobKind.INGEST,
        task=INGEST_TASK,
        route=lambda job: "default",
        # Queued: "video.uploaded", recorded with the upload, says it.
        events={
            Transition.RUNNING: EventKind.VIDEO_PROCESSING,
            Transition.PROGRESS: EventKind.VIDEO_PROGRESS,
            Transition.REQUEUED: EventKind.VIDEO_REQUEUED,
            Transition.DONE: EventKind.VIDEO_READY,
            Transition.FAILED: EventKind.VIDEO_FAILED,
        },
        payload=_payload,
        on_done=_on_done,
        on_failed=_on_failed,
        describe_error=lambda exc: f"Frame extraction failed: {exc}",
    )
)
