"""SAM 2 tasks: a click's mask (interactive, per-worker queue) and propagation (gpu queue)."""

import logging
import socket
import time
from itertools import islice

import numpy as np
from celery import shared_task
from django.db import transaction

from backend.masklets import jobs
from backend.masklets.enums import Direction, FrameOrigin
from backend.masklets.models import Masklet, Prompt
from backend.masklets.propagation import (
    PropagatedMask,
    propagation_frames_store,
    propagation_job_fail,
    propagation_job_finish,
    propagation_job_start,
)
from backend.masklets.services import masklet_frames_write
from worker import adapters, sessions
from worker.engine import get_predictor

logger = logging.getLogger(__name__)

# Frames per database write during propagation: one transaction and one event each.
FRAMES_PER_WRITE = 8
# The job this process is propagating ({"job_id", "attempt"}); its announce thread beats for it.
RUNNING_JOB: dict[str, int] = {}


@shared_task(name=jobs.PREDICT_PROMPT, ignore_result=False, acks_late=False)
def masklet_predict_prompt_task(prompt_id: int) -> dict:
    """Applies a stored prompt and saves the mask on its frame (origin click). Not retried
    by the broker: the web process re-routes the request if this worker is lost."""
    started = time.perf_counter()
    prompt = Prompt.objects.select_related("masklet__video").get(pk=prompt_id)
    video = prompt.masklet.video
    bound, rebuilt = sessions.session_for_prompt(video, prompt)
    engine_started = time.perf_counter()
    frame_masks = adapters.apply_prompt(bound.session, prompt, video)
    bound.applied.append(prompt.pk)
    engine_ms = (time.perf_counter() - engine_started) * 1000
    mask, score = next(
        (m, s) for obj, m, s in adapters.masks_by_object(frame_masks) if obj == prompt.masklet_id
    )
    encoded, _area, _bbox = adapters.encode(mask)
    with transaction.atomic():
        masklet = (
            Masklet.objects.select_for_update().select_related("video").get(pk=prompt.masklet_id)
        )
        masklet_frames_write(
            masklet=masklet,
            actor=prompt.author,
            version=masklet.version,
            frames=[
                {
                    "frame_index": prompt.frame_index,
                    "rle": encoded,
                    "origin": FrameOrigin.CLICK,
                    "score": score,
                }
            ],
            trusted=True,
        )
    return {
        "frame_index": prompt.frame_index,
        "masklet": prompt.masklet_id,
        "rle": encoded,
        "score": score,
        "version": masklet.version,
        "engine_ms": round(engine_ms, 3),
        "replayed": rebuilt,
        "worker": socket.gethostname(),
        "task_ms": round((time.perf_counter() - started) * 1000, 3),
    }


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
    session = get_predictor().start_session(adapters.StorageFrames(video))
    try:
        for prompt in Prompt.objects.filter(masklet_id__in=masklet_ids).order_by("pk"):
            adapters.apply_prompt(session, prompt, video)
        end = video.frame_count if job.frame_end is None else job.frame_end
        passes = []
        if job.direction in (Direction.FORWARD, Direction.BOTH):
            passes.append((False, end - job.start_frame))
        if job.direction in (Direction.BACKWARD, Direction.BOTH):
            passes.append((True, job.start_frame - job.frame_start + 1))
        done = 0
        for reverse, count in passes:
            frames = session.propagate(
                start_frame=job.start_frame, reverse=reverse, max_frames=count - 1
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


def _to_mask(*, frame_index: int, obj: int, mask: np.ndarray, score: float) -> PropagatedMask:
    encoded, area, bbox = adapters.encode(mask)
    return PropagatedMask(
        masklet_id=obj, frame_index=frame_index, rle=encoded, area=area, bbox=bbox, score=score
    )
