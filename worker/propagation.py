"""Propagation on a video's one SAM 2 state: the run acts on the same state as clicks and
edits, frame by frame, and records each frame in the video's action log before computing it.

Between two frames the engine is free: a click (on this video or another one) is served
then. A click on this video lands in the log after the frames tracked so far, so the run
continues in a new log entry and the state sees frames and clicks in log order.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction

from backend.common.exceptions import ApplicationError
from backend.masklets import jobs
from backend.masklets.actions import action_append, action_propagate_frame
from backend.masklets.enums import ActionKind, ActionState, Direction
from backend.masklets.models import MaskletFrame, SessionAction
from backend.masklets.propagation import PassStop
from worker import adapters, engine, registry, states
from worker.agreement import StopRule

# Frames per database write during propagation: one transaction and one event each.
FRAMES_PER_WRITE = 8


@dataclass(frozen=True)
class Run:
    """What to propagate: objects (masklet ids), from where, which way, within which frames."""

    video_id: int
    job_id: int | None
    masklet_ids: list[int]
    start_frame: int
    direction: str  # Direction
    frame_start: int
    frame_end: int  # exclusive
    # Re-propagate only what changed: each object stops where its new masks agree with the
    # stored ones again or before the next frame a person made (worker/agreement.py).
    until_agreement: bool = False
    # Each mask's score is its stability score (the IoU of its logits cut at -1 and +1, as
    # SA-V's auto masklets carry), not the object score logit.
    stability: bool = False


@dataclass(frozen=True)
class Outcome:
    stopped: bool  # the store asked to stop (cancelled, taken over, masklets deleted)
    # until_agreement runs: where each pass stopped and why, in pass order.
    stops: list[PassStop] = field(default_factory=list)


@dataclass(frozen=True)
class FrameMask:
    masklet_id: int
    frame_index: int
    rle: dict
    area: int
    bbox: list[float]
    score: float


# Receives a batch of masks and the number of frames done; False stops the run (cancelled).
Store = Callable[[list[FrameMask], int], bool]


def passes(run: Run) -> Iterator[tuple[bool, range]]:
    """(reverse, frames) of each pass; the start frame is in both passes of "both" (the
    reverse pass tracks it again, as SAM 2 does, and what it gives is what is stored)."""
    if run.direction in (Direction.FORWARD, Direction.BOTH):
        yield False, range(run.start_frame, run.frame_end)
    if run.direction in (Direction.BACKWARD, Direction.BOTH):
        yield True, range(run.start_frame, run.frame_start - 1, -1)


def propagate(run: Run, store: Store) -> Outcome:
    """Tracks the run's objects through its frames on the video's state; the outcome says
    whether ``store`` asked to stop and, for an ``until_agreement`` run, where each pass
    stopped. Objects whose masklet is deleted meanwhile leave the run."""
    if registry.own_queue():
        # Clicks on the video now come here too: one state, in one process.
        jobs.bind_video(video_id=run.video_id, worker=registry.own_queue())
    with engine.in_use:
        state = states.get(run.video_id)
        states.catch_up(state)
        _give_start_masks(state, run)
    objects = list(run.masklet_ids)
    stops: list[PassStop] = []
    done = 0
    try:
        for reverse, frames in passes(run):
            rule = (
                StopRule(
                    video_id=run.video_id,
                    start_frame=run.start_frame,
                    reverse=reverse,
                    objects=objects,
                )
                if run.until_agreement
                else None
            )
            # The objects this pass still tracks (an until_agreement pass drops settled ones).
            going = list(objects)
            entry: SessionAction | None = None
            batch: list[FrameMask] = []
            for frame in frames:
                registry.set_activity(f"propagating video {run.video_id} (frame {frame})")
                with engine.in_use:
                    state = states.get(run.video_id)
                    states.catch_up(state, save=False)
                    objects = [o for o in objects if o in state.session.object_ids]
                    going = [o for o in going if o in objects]
                    if rule is not None:
                        going = rule.before(frame, going)
                    if not going:
                        break
                    entry = _record(state, entry, frame, reverse, going, run.job_id)
                    frame_masks = state.session.track_frame(frame, reverse, going)
                    state.seq, state.seq_mark, state.run_last = entry.seq, states.mark(entry), frame
                    state.dirty.update(going)
                masks = _masks(frame_masks, going, stability=run.stability)
                batch.extend(mask for mask, _pixels in masks)
                if rule is not None:
                    going = rule.after(frame, {m.masklet_id: pixels for m, pixels in masks})
                done += 1
                if len(batch) >= FRAMES_PER_WRITE * max(1, len(going)):
                    if not _flush(run, batch, done, store):
                        return Outcome(True, stops)
                    batch = []
            if rule is not None:
                stop = rule.finish(pass_end=frames[-1] if len(frames) else run.start_frame)
                stops.append(stop)
                if entry is not None:
                    _note_stop(entry, stop)
            if batch and not _flush(run, batch, done, store):
                return Outcome(True, stops)
            if not objects:
                break
    finally:
        registry.set_activity("")
    return Outcome(False, stops)


def _note_stop(entry: SessionAction, stop: PassStop) -> None:
    """Notes on the pass's last log entry where the pass stopped and why. A replay needs
    no note: the entries hold exactly the frames and objects tracked (each frame recorded
    before it was computed; an object that left opened a new entry)."""
    payload = {**entry.payload, "stop": stop}
    SessionAction.objects.filter(pk=entry.pk).update(payload=payload)
    entry.payload = payload


def _record(
    state: states.VideoState,
    entry: SessionAction | None,
    frame: int,
    reverse: bool,
    objects: list[int],
    job_id: int | None,
) -> SessionAction:
    """The log entry that holds this frame, written before the frame is computed; anything
    appended before it is applied first, so the state follows the log's order."""
    extending = (
        entry
        if entry is not None and state.seq == entry.seq and list(entry.object_ids) == objects
        else None
    )
    entry = action_propagate_frame(
        video_id=state.video.pk,
        current=extending,
        frame_index=frame,
        reverse=reverse,
        object_ids=objects,
        job_id=job_id,
    )
    if entry is not extending:
        states.catch_up(state, before=entry.seq, save=False)
    return entry


def _flush(run: Run, batch: list[FrameMask], done: int, store: Store) -> bool:
    with engine.in_use:
        states.save_if_dirty(states.get(run.video_id))
    return store(batch, done)


def _masks(
    frame_masks, objects: list[int], stability: bool = False
) -> list[tuple[FrameMask, np.ndarray]]:  # type: ignore[no-untyped-def]
    """Each tracked object's mask, encoded for storage and as [H, W] uint8 pixels; with
    ``stability`` its score is the mask's stability score."""
    masks = []
    stabilities = adapters.stability_scores(frame_masks) if stability else None
    for i, (obj, mask, score) in enumerate(adapters.masks_by_object(frame_masks)):
        if obj in objects:
            encoded, area, bbox = adapters.encode(mask)
            if stabilities is not None:
                score = stabilities[i] if area else 0.0
            masks.append(
                (FrameMask(obj, frame_masks.frame_index, encoded, area, bbox, score), mask)
            )
    return masks


def _give_start_masks(state: states.VideoState, run: Run) -> None:
    """A masklet SAM 2 has no prompt or mask of (e.g. an imported one) starts from its
    stored mask on the start frame, given to SAM 2 as a mask prompt (a log entry)."""
    missing = [m for m in run.masklet_ids if m not in state.session.object_ids]
    if not missing:
        return
    stored = dict(
        MaskletFrame.objects.filter(
            masklet_id__in=missing, frame_index=run.start_frame
        ).values_list("masklet_id", "rle")
    )
    without = [m for m in missing if m not in stored or not adapters.rle_has_pixels(stored[m])]
    if without:
        raise ApplicationError(
            f"Nothing to start from: masklet(s) {', '.join(map(str, without))} have no prompt "
            f"and no mask on frame {run.start_frame}.",
            extra={"masklets": without, "start_frame": run.start_frame},
        )
    with transaction.atomic():
        for masklet_id in missing:
            action_append(
                video_id=run.video_id,
                kind=ActionKind.MASK,
                object_id=masklet_id,
                frame_index=run.start_frame,
                payload={"rle": stored[masklet_id], "start": True},
                state=ActionState.PENDING,
            )
    states.catch_up(state)
