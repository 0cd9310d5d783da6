"""The SAM 2 state of each video this worker holds: one engine session per video, brought up
to the video's action log and kept exact.

A video's state is defined by its action log (backend/masklets/actions.py). This worker
applies the log's entries in order to the video's one session (clicks, masks given as
prompts, propagation runs, undos, object removals), whoever appended them, so the state is
always the one an uninterrupted session fed the same actions would have.

States in RAM are bounded (SAM2_MAX_SESSIONS videos; the engine keeps each session's RAM
bounded and spills older outputs to the video's output store). After every change the state
is saved in the shared storage (a small manifest per object referring to the outputs in the
store), so an evicted video, a restarted worker or another worker continues it by loading
that snapshot and applying only the entries after it; replaying the whole log is the
fallback when no usable snapshot exists.

Every function here runs with the engine held (engine.in_use): one thread at a time.
"""

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from backend.common import rle
from backend.masklets.actions import action_claim, action_list_after
from backend.masklets.enums import ActionKind, ActionState
from backend.masklets.models import SessionAction
from backend.videos.models import Video
from worker import adapters, snapshots
from worker.engine import get_predictor

logger = logging.getLogger(__name__)

# Undo history kept per object: the object's state before each of its latest actions.
UNDO_DEPTH = 32
# Answers kept for clicks nobody asked for yet (their web request may have given up).
MAX_ANSWERS = 256


@dataclass(frozen=True)
class Answer:
    """SAM 2's mask for a PROMPT entry, computed when the entry was applied."""

    rle: dict[str, Any]
    score: float
    engine_ms: float


@dataclass
class VideoState:
    video: Video
    session: Any  # sam2engine VideoSession
    seq: int = 0  # the last log entry applied
    # That entry's identity (id, creation time): a state never continues another log.
    seq_mark: str = ""
    # When entry ``seq`` is a propagation run: the last frame of it applied (a run's entry
    # grows while it is the log's last entry).
    run_last: int | None = None
    # Per object: (seq of one of its prompts/masks, its snapshot key from before it), oldest
    # first; an UNDO of that entry restores that snapshot.
    history: dict[int, list[tuple[int, str | None]]] = field(default_factory=dict)
    # Object id -> key of its saved state, for objects unchanged since they were saved.
    keys: dict[int, str] = field(default_factory=dict)
    # Entries skipped when applied (abandoned or already undone): an UNDO of one is a no-op.
    skipped: set[int] = field(default_factory=set)
    # Objects changed since the last save.
    dirty: set[int] = field(default_factory=set)
    # How the state came to be in RAM this time: "resident", "snapshot" or "replay".
    loaded: str = "resident"


_states: "OrderedDict[int, VideoState]" = OrderedDict()
# Answers to PROMPT entries applied while someone waits for them (pending when applied),
# by (video, seq). Kept apart from the states: a propagation step may apply a click's entry
# and the video's state be evicted before the click's turn comes; the answer stays here.
_answers: "OrderedDict[tuple[int, int], Answer]" = OrderedDict()


def answer_take(video_id: int, seq: int) -> Answer | None:
    """The answer to the video's PROMPT entry ``seq``, once (caller holds the engine)."""
    return _answers.pop((video_id, seq), None)


def capacity() -> int:
    return max(1, int(settings.SAM2_MAX_SESSIONS))


def resident() -> int:
    return len(_states)


def get(video_id: int) -> VideoState:
    """The video's state in RAM, loading it (snapshot, else replay) when it is not; the
    least recently used state beyond capacity is saved and dropped."""
    state = _states.pop(video_id, None)
    if state is not None and not (
        _same_log(video_id, state.seq, state.seq_mark)
        and Video.objects.filter(pk=video_id, frames_prefix=state.video.frames_prefix).exists()
    ):
        state.session.close()
        state = None
    if state is not None:
        state.loaded = "resident"
    else:
        state = _load(video_id)
    _states[video_id] = state
    while len(_states) > capacity():
        _evicted_id, evicted = _states.popitem(last=False)
        _save(evicted)
        evicted.session.close()
    return state


def resident_state(video_id: int) -> VideoState | None:
    """The video's state if it is in RAM now (never loads one, never reorders the LRU)."""
    return _states.get(video_id)


def drop_all() -> None:
    while _states:
        _states.popitem()[1].session.close()


def _load(video_id: int) -> VideoState:
    video = Video.objects.get(pk=video_id)
    predictor = get_predictor()
    frames = adapters.StorageFrames(video)
    store = snapshots.output_store(video_id)
    saved = snapshots.load_head(video_id)
    session = predictor.start_session(frames, store=store)
    if saved is not None and _same_log(video_id, saved.seq, saved.seq_mark):
        try:
            for obj, key in saved.objects:
                session.restore_object(obj, snapshots.load_object(video_id, key))
        except Exception:  # noqa: BLE001 -- a broken snapshot costs a replay, never an answer
            logger.warning(
                "video %s: saved state unusable; replaying its log", video_id, exc_info=True
            )
            session.close()
            session = predictor.start_session(frames, store=store)
        else:
            return VideoState(
                video,
                session,
                seq=saved.seq,
                seq_mark=saved.seq_mark,
                run_last=saved.run_last,
                history=saved.history,
                keys=dict(saved.objects),
                loaded="snapshot",
            )
    return VideoState(video, session, loaded="replay")


def catch_up(state: VideoState, *, before: int | None = None, save: bool = True) -> None:
    """Applies the log entries the state has not seen yet, in order (those numbered below
    ``before`` only, when given), then saves the state unless ``save`` is False."""
    _finish_run(state)
    for action in action_list_after(video_id=state.video.pk, seq=state.seq):
        if before is not None and action.seq >= before:
            break
        apply(state, action)
    if save:
        save_if_dirty(state)


def mark(action: SessionAction) -> str:
    return f"{action.pk}@{action.created_at.isoformat()}"


def _same_log(video_id: int, seq: int, seq_mark: str) -> bool:
    """Whether entry ``seq`` of the video's log is the one a state or snapshot applied (a
    video deleted and its id reused, or a log reset, must never be continued)."""
    if seq == 0:
        return True
    entry = SessionAction.objects.filter(video_id=video_id, seq=seq).first()
    return entry is not None and mark(entry) == seq_mark


def _finish_run(state: VideoState) -> None:
    """Tracks the frames a run's entry gained after this state applied it (the worker that
    ran it went on after the snapshot this state was loaded from)."""
    if state.run_last is None:
        return
    entry = SessionAction.objects.filter(video_id=state.video.pk, seq=state.seq).first()
    if entry is None or entry.kind != ActionKind.PROPAGATE or entry.frame_last is None:
        return
    if entry.frame_last == state.run_last:
        return
    step = -1 if entry.reverse else 1
    objects = [int(o) for o in entry.object_ids if o in state.session.object_ids]
    if objects:
        for frame in range(state.run_last + step, entry.frame_last + step, step):
            state.session.track_frame(frame, entry.reverse, objects)
        state.dirty.update(objects)
    state.run_last = entry.frame_last


def apply(state: VideoState, action: SessionAction) -> None:
    """Applies one log entry (the next one) to the state."""
    if action.kind == ActionKind.UNDO:
        _undo(state, action)
    elif action.state in (ActionState.ABANDONED, ActionState.UNDONE) or (
        # The web gave up on it before anyone applied it.
        action.state == ActionState.PENDING and not action_claim(action_id=action.pk)
    ):
        state.skipped.add(action.seq)
    else:
        _apply_counting(state, action)
    state.seq, state.seq_mark = action.seq, mark(action)
    state.run_last = action.frame_last if action.kind == ActionKind.PROPAGATE else None


def _apply_counting(state: VideoState, action: SessionAction) -> None:
    session = state.session
    if action.kind in (ActionKind.PROMPT, ActionKind.MASK):
        obj = int(action.object_id)
        _remember_before(state, obj, action.seq)
        started = time.perf_counter()
        if action.kind == ActionKind.PROMPT:
            frame_masks = adapters.apply_prompt_entry(session, action, state.video)
        else:
            frame_masks = adapters.apply_mask_entry(session, action, state.video)
        engine_ms = (time.perf_counter() - started) * 1000
        state.dirty.add(obj)
        if action.kind == ActionKind.PROMPT and action.state == ActionState.PENDING:
            mask, score = adapters.mask_of(frame_masks, obj)
            answer = Answer(dict(rle.encode(mask)), score, engine_ms)
            _answers[(state.video.pk, action.seq)] = answer
            while len(_answers) > MAX_ANSWERS:
                _answers.popitem(last=False)
    elif action.kind == ActionKind.PROPAGATE:
        objects = [int(o) for o in action.object_ids if o in session.object_ids]
        for obj in objects:
            _forget_history(state, obj)  # what was tracked from an entry keeps it
        if objects:
            _run(session, action, objects)
            state.dirty.update(objects)
    elif action.kind == ActionKind.REMOVE:
        obj = int(action.object_id)
        if obj in session.object_ids:
            session.remove_object(obj)
        state.history.pop(obj, None)
        state.dirty.add(obj)


def _run(session: Any, entry: SessionAction, objects: list[int]) -> None:
    """Tracks the frames of a PROPAGATE entry again, for the given objects, one frame at a
    time as the run that wrote it did."""
    start, last = entry.frame_index, entry.frame_last
    if start is None or last is None:
        raise ValueError(f"propagation entry #{entry.seq} has no frame range")
    step = -1 if entry.reverse else 1
    for frame in range(start, last + step, step):
        session.track_frame(frame, entry.reverse, objects)


def _remember_before(state: VideoState, obj: int, seq: int) -> None:
    """Saves the object's state before an entry that an UNDO may take back."""
    key = None
    if obj in state.session.object_ids:
        key = _object_key(state, obj)
    entries = state.history.setdefault(obj, [])
    entries.append((seq, key))
    del entries[:-UNDO_DEPTH]


def _forget_history(state: VideoState, obj: int) -> None:
    """An entry SAM 2 built on can no longer be undone (actions.action_undo refuses it)."""
    state.history[obj] = []


def _undo(state: VideoState, action: SessionAction) -> None:
    """Restores the object to its state before the undone entry, if this state had applied
    it (else the entry was skipped and there is nothing to take back)."""
    obj = int(action.object_id)
    target = int(action.payload["target"])
    entries = state.history.get(obj, [])
    position = next((i for i, (seq, _key) in enumerate(entries) if seq == target), None)
    if position is None:
        if target not in state.skipped:
            # Applied, but its "before" is older than the undo history: rebuild the object.
            _rebuild_object(state, obj, upto=action.seq)
        return
    key = entries[position][1]
    del entries[position:]
    if key is None:
        if obj in state.session.object_ids:
            state.session.remove_object(obj)
    else:
        state.session.restore_object(obj, snapshots.load_object(state.video.pk, key))
    state.dirty.add(obj)


def _rebuild_object(state: VideoState, obj: int, *, upto: int) -> None:
    """The object's state from its own log entries alone (objects never interact in SAM 2's
    tracking): used when the undo history does not reach back far enough."""
    session = state.session
    if obj in session.object_ids:
        session.remove_object(obj)
    state.history.pop(obj, None)
    entries = (
        SessionAction.objects.filter(
            video_id=state.video.pk,
            seq__lt=upto,
            state__in=(ActionState.PENDING, ActionState.APPLIED),
        )
        .exclude(kind=ActionKind.UNDO)
        .order_by("seq")
    )
    for entry in entries:
        if entry.kind == ActionKind.PROPAGATE:
            if obj in entry.object_ids and obj in session.object_ids:
                _run(session, entry, [obj])
        elif entry.object_id == obj:
            if entry.kind == ActionKind.PROMPT:
                adapters.apply_prompt_entry(session, entry, state.video)
            elif entry.kind == ActionKind.MASK:
                adapters.apply_mask_entry(session, entry, state.video)
            elif entry.kind == ActionKind.REMOVE and obj in session.object_ids:
                session.remove_object(obj)
    state.dirty.add(obj)


def save_if_dirty(state: VideoState) -> None:
    if state.dirty:
        _save(state)


def _object_key(state: VideoState, obj: int) -> str:
    """The key of the object's current state in storage, saving it if it changed."""
    if obj in state.dirty or obj not in state.keys:
        state.keys[obj] = snapshots.save_object(state.video.pk, state.session, obj)
        state.dirty.discard(obj)
    return state.keys[obj]


def _save(state: VideoState) -> None:
    """Writes the state to the shared storage: changed objects, then the head."""
    objects = [(obj, _object_key(state, obj)) for obj in state.session.object_ids]
    for obj in set(state.keys) - set(state.session.object_ids):
        del state.keys[obj]
    snapshots.save_head(
        state.video.pk, state.seq, state.seq_mark, state.run_last, objects, state.history
    )
    state.dirty.clear()
