"""SAM 2 propagation jobs (gpu queue). Clicks do not go through Celery: see worker/clicks.py.

The job's life cycle (claim, heartbeat, retries, finish) is backend/jobs; this module only
streams the job's frames through the engine and hands each batch to the backend.
"""

import logging
from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
from celery import shared_task

from backend.jobs.runner import job_execute, worker_identity
from backend.masklets import jobs
from backend.masklets.enums import Direction
from backend.masklets.models import Prompt, PropagationJob
from backend.masklets.propagation import PropagatedMask, propagation_frames_store
from sam2engine import FrameMasks
from worker import adapters, engine

logger = logging.getLogger(__name__)

# Frames per database write during propagation: one transaction and one event each.
FRAMES_PER_WRITE = 8


@shared_task(name=jobs.PROPAGATE, bind=True, acks_late=True)
def masklet_propagate_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    job_execute(job_id=job_id, worker=worker_identity(self.request), run=_run)


def _run(job) -> None:  # type: ignore[no-untyped-def]
    # A stop (cancel, take-over, every masklet deleted) is the job row's to tell: finishing
    # it then ends it as cancelled, or changes nothing for a run that was taken over.
    propagation = PropagationJob.objects.select_related("video").get(pk=job.pk)
    propagation.attempts = job.attempts  # this run's attempt, whatever the row says now
    _propagate(propagation)


def _propagate(job) -> bool:  # type: ignore[no-untyped-def]
    """Streams the job's frames through a fresh session; True when it was stopped."""
    video = job.video
    masklet_ids = set(job.masklets.values_list("pk", flat=True))
    prompts = list(Prompt.objects.filter(masklet_id__in=masklet_ids).order_by("pk"))
    session = engine.get_predictor().start_session(adapters.StorageFrames(video))
    try:
        with engine.in_use:
            for prompt in prompts:
                adapters.apply_prompt(session, prompt, video)
        end = video.frame_count if job.frame_end is None else job.frame_end
        passes = []
        if job.direction in (Direction.FORWARD, Direction.BOTH):
            passes.append((False, end - job.start_frame))
        if job.direction in (Direction.BACKWARD, Direction.BOTH):
            passes.append((True, job.start_frame - job.frame_start + 1))
        done = 0
        for reverse, count in passes:
            frames = _frame_by_frame(
                session.propagate(
                    start_frame=job.start_frame, reverse=reverse, max_frames=count - 1
                )
            )
            if reverse and done:
                frames = islice(frames, 1, None)  # the start frame was written going forward
            while batch := list(islice(frames, FRAMES_PER_WRITE)):
                masks = [
                    _to_mask(frame_index=fm.frame_index, obj=obj, mask=mask, score=score)
                    for fm in batch
                    for obj, mask, score in adapters.masks_by_object(fm)
                ]
                done += len(batch)
                if not propagation_frames_store(job=job, masks=masks, frames_done=done):
                    return True
        return False
    finally:
        session.close()


def _frame_by_frame(frames: Iterable[FrameMasks]) -> Iterator[FrameMasks]:
    """The engine's frames, holding the engine only while it computes one: clicks get their
    turn between two frames."""
    iterator = iter(frames)
    while True:
        with engine.in_use:
            frame = next(iterator, None)
        if frame is None:
            return
        yield frame


def _to_mask(*, frame_index: int, obj: int, mask: np.ndarray, score: float) -> PropagatedMask:
    encoded, area, bbox = adapters.encode(mask)
    return PropagatedMask(
        masklet_id=obj, frame_index=frame_index, rle=encoded, area=area, bbox=bbox, score=score
    )
