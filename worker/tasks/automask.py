"""Auto-annotation jobs: SAM 2's automatic mask generator on each key frame, then the new
auto masklets propagated through the video on its one SAM 2 state, batch by batch.

The life cycle (claim, heartbeat, retries, recovery) is backend/jobs; what the job records
is backend/automask/services.py. A resumed run (a retry, or another worker after a loss)
skips the key frames already recorded and the batches already submitted: a batch that was
half propagated is propagated again from its key frame, on the state the log defines.
"""

import time
from collections.abc import Iterator
from typing import Any

from celery import shared_task

from backend.automask import jobs as automask_jobs
from backend.automask.models import AutoKeyFrame, AutoMaskJob, AutoProposal
from backend.automask.services import (
    GeneratedMask,
    automask_batch_submit,
    automask_key_frame_record,
    automask_unsubmitted_remove,
    key_frames_recorded,
    proposed_count,
    units_per_key_frame,
)
from backend.common import rle
from backend.common.exceptions import ApplicationError
from backend.jobs.models import Job
from backend.jobs.runner import job_execute, worker_identity
from backend.jobs.services import JobStopped
from backend.masklets import jobs
from backend.masklets.enums import Direction
from backend.masklets.propagation import PropagatedMask, propagation_frames_store
from sam2engine import AutomaticMaskError, AutomaticMaskGenerator, AutomaticMaskSettings
from worker import adapters, engine, propagation, registry


@shared_task(name=automask_jobs.RUN, bind=True, acks_late=True)
def automask_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    job_execute(job_id=job_id, worker=worker_identity(self.request), run=_run)


def _run(claimed: Job) -> dict[str, Any]:
    job = AutoMaskJob.objects.select_related("video").get(pk=claimed.pk)
    job.attempts = claimed.attempts  # this run's attempt, whatever the row says now
    try:
        settings = AutomaticMaskSettings.from_dict(job.generator_settings)
    except (AutomaticMaskError, TypeError) as exc:
        raise ApplicationError(f"Generator settings: {exc}") from None
    if registry.own_queue():
        # Clicks on the video now come here too: one state, in one process.
        jobs.bind_video(video_id=job.video_id, worker=registry.own_queue())
    recorded = key_frames_recorded(job=job)
    for position, frame in enumerate(job.key_frames):
        if frame not in recorded and proposed_count(job) >= job.max_masklets:
            continue  # the cap is reached: generating more masks would be time lost
        if frame not in recorded:
            registry.set_activity(f"generating masks on frame {frame} of video {job.video_id}")
            generated, seconds = _generate(job, settings, frame)
            if (
                automask_key_frame_record(
                    job=job, frame_index=frame, generated=generated, generate_s=seconds
                )
                is None
            ):
                _stop(job)
        _propagate_key_frame(job, position, frame)
    registry.set_activity("")
    return _result(job)


def _generate(
    job: AutoMaskJob, settings: AutomaticMaskSettings, frame: int
) -> tuple[list[GeneratedMask], float]:
    """The generator's masks on the frame (the video's size), best first, and its time."""
    with engine.in_use:
        predictor = engine.get_predictor()
        image = adapters.StorageFrames(job.video)[frame]
        started = time.perf_counter()
        generator = AutomaticMaskGenerator(predictor.model, settings, precision=predictor.precision)
        masks = generator.generate(image)
        seconds = time.perf_counter() - started
    return [
        GeneratedMask(
            rle=rle.encode(m.mask()),
            predicted_iou=m.predicted_iou,
            stability_score=m.stability_score,
            point=m.point_coords,
        )
        for m in masks
    ], seconds


def _batches(items: list[AutoProposal], size: int) -> Iterator[list[AutoProposal]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _propagate_key_frame(job: AutoMaskJob, position: int, frame: int) -> None:
    """The key frame's auto masklets not submitted yet, propagated in object batches
    through the whole video (both ways from the key frame), each batch then submitted."""
    pending = list(
        AutoProposal.objects.filter(
            job=job, key_frame=frame, submitted_at__isnull=True, masklet__isnull=False
        ).order_by("id")
    )
    batches = list(_batches(pending, job.objects_per_batch))
    count = job.video.frame_count
    # A run through the whole video both ways tracks count + 1 frames (the key frame twice).
    per_batch = count + 1
    base = position * units_per_key_frame(job.video) + 1
    for number, batch in enumerate(batches):
        key_scores = {p.masklet_id: p.stability_score for p in batch}
        run = propagation.Run(
            video_id=job.video_id,
            job_id=job.pk,
            masklet_ids=sorted(key_scores),
            start_frame=frame,
            direction=Direction.BOTH,
            frame_start=0,
            frame_end=count,
            stability=True,
        )
        # Progress: this batch's share of the key frame's units.
        first = base + number * count // len(batches)
        share = (count, len(batches) * per_batch)
        registry.set_activity(f"propagating auto masklets of video {job.video_id}")
        if propagation.propagate(run, _store(job, frame, key_scores, first, share)).stopped:
            _stop(job)
        if not automask_batch_submit(job=job, proposal_ids=[p.pk for p in batch]):
            _stop(job)


def _store(
    job: AutoMaskJob,
    key_frame: int,
    key_scores: dict[int, float],
    first: int,
    share: tuple[int, int],
) -> propagation.Store:
    """Stores a propagated batch's masks, each scored by its stability (on its key frame,
    the generator's stability score), with the job's progress in its own units."""

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
                    score=key_scores[m.masklet_id] if m.frame_index == key_frame else m.score,
                )
                for m in masks
            ],
            frames_done=first + done * share[0] // share[1],
        )

    return store


def _stop(job: AutoMaskJob) -> None:
    """The run ends (cancelled, or taken over by another attempt). After a cancel, the
    masklets not propagated and submitted yet are removed; a take-over keeps them."""
    registry.set_activity("")
    if Job.objects.filter(pk=job.pk, cancel_requested=True, attempts=job.attempts).exists():
        automask_unsubmitted_remove(job=job)
    raise JobStopped


def _result(job: AutoMaskJob) -> dict[str, Any]:
    frames = AutoKeyFrame.objects.filter(job=job).order_by("frame_index")
    proposed = AutoProposal.objects.filter(job=job).count()
    return {
        "proposed": proposed,
        # Key frames left without generating once the cap on masklets was reached.
        "skipped_at_cap": [f for f in job.key_frames if f not in {k.frame_index for k in frames}],
        "key_frames": [
            {
                "frame": f.frame_index,
                "generated": f.generated,
                "duplicates": f.duplicates,
                "over_cap": f.over_cap,
                "generate_s": round(f.generate_s, 3),
            }
            for f in frames
        ],
    }
