"""SAM 2 propagation jobs. Clicks do not go through Celery: see worker/clicks.py.

The job's life cycle (claim, heartbeat, retries, finish) is backend/jobs; the run itself
acts on the video's one SAM 2 state (worker/propagation.py) and hands each batch of masks
to the backend.
"""

from typing import Any

from celery import shared_task

from backend.jobs.runner import job_execute, worker_identity
from backend.masklets import jobs
from backend.masklets.models import PropagationJob
from backend.masklets.propagation import PropagatedMask, propagation_frames_store
from worker import propagation


@shared_task(name=jobs.PROPAGATE, bind=True, acks_late=True)
def masklet_propagate_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    job_execute(job_id=job_id, worker=worker_identity(self.request), run=_run)


def _run(claimed) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    # A stop (cancel, take-over, every masklet deleted) is the job row's to tell: finishing
    # it then ends it as cancelled, or changes nothing for a run that was taken over.
    job = PropagationJob.objects.select_related("video").get(pk=claimed.pk)
    job.attempts = claimed.attempts  # this run's attempt, whatever the row says now
    video = job.video
    run = propagation.Run(
        video_id=video.pk,
        job_id=job.pk,
        masklet_ids=sorted(job.masklets.values_list("pk", flat=True)),
        start_frame=job.start_frame,
        direction=job.direction,
        frame_start=job.frame_start,
        frame_end=video.frame_count if job.frame_end is None else job.frame_end,
        until_agreement=job.until_agreement,
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

    outcome = propagation.propagate(run, store)
    # The job's result: where an until_agreement run stopped (propagation.done says it too).
    return {"stops": outcome.stops} if run.until_agreement else None
