"""SAM 2 propagation jobs (gpu queue). Clicks do not go through Celery: see worker/clicks.py."""

import logging
import socket

from celery import shared_task

from backend.masklets import jobs
from backend.masklets.propagation import (
    PropagatedMask,
    propagation_frames_store,
    propagation_job_fail,
    propagation_job_finish,
    propagation_job_start,
)
from worker import propagation

logger = logging.getLogger(__name__)

# The job this process is propagating ({"job_id", "attempt"}); its announce thread beats for it.
RUNNING_JOB: dict[str, int] = {}


@shared_task(name=jobs.PROPAGATE, acks_late=True)
def masklet_propagate_task(job_id: int) -> None:
    job = propagation_job_start(job_id=job_id, worker=socket.gethostname())
    if job is None:
        return
    RUNNING_JOB.update(job_id=job.pk, attempt=job.attempts)
    try:
        cancelled = _propagate(job)
    except Exception as exc:
        logger.exception("propagation job %s failed", job_id)
        propagation_job_fail(job_id=job_id, reason=f"{type(exc).__name__}: {exc}")
        return
    finally:
        RUNNING_JOB.clear()
    propagation_job_finish(job=job, cancelled=cancelled)


def _propagate(job) -> bool:  # type: ignore[no-untyped-def]
    """Runs the job on the video's one SAM 2 state; True when it was cancelled."""
    video = job.video
    run = propagation.Run(
        video_id=video.pk,
        job_id=job.pk,
        masklet_ids=sorted(job.masklets.values_list("pk", flat=True)),
        start_frame=job.start_frame,
        direction=job.direction,
        frame_start=job.frame_start,
        frame_end=video.frame_count if job.frame_end is None else job.frame_end,
    )

    def store(masks: list[propagation.FrameMask], done: int) -> bool:
        return propagation_frames_store(
            job=job,
            masks=[
                PropagatedMask(
                    masklet_id=m.masklet_id,
                    frame_index=m.frame_index,
                    rle=m.rle,
                    area=m.area,
                    bbox=m.bbox,
                    score=m.score,
                )
                for m in masks
            ],
            frames_done=done,
        )

    return propagation.propagate(run, store)
