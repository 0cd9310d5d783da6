"""SAM 2 propagation jobs (gpu queue). Clicks do not go through Celery: see worker/clicks.py."""

import logging
import socket
from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
from celery import shared_task

from backend.masklets import jobs
from backend.masklets.enums import Direction
from backend.masklets.models import Prompt
from backend.masklets.propagation import (
    PropagatedMask,
    propagation_frames_store,
    propagation_job_fail,
    propagation_job_finish,
    propagation_job_start,
)
from sam2engine import FrameMasks
from worker import adapters, engine

logger = logging.getLogger(__name__)

# Frames per database write during propagation: one transaction and one event each.
FRAMES_PER_WRITE = 8
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
    """Streams the job's frames through a fresh session; True when it was cancelled."""
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
