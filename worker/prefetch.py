"""Frames encoded ahead: the image encoder runs on the frame an annotator rests on before
the first click on it, so that click only decodes.

The web process pushes the frames annotators rest on onto this worker's own Redis list
(jobs.frame_shown, for the videos whose SAM 2 state this worker holds). A thread of its own
takes the newest, and encodes it WITHOUT holding the engine: clicks and propagation steps
never wait for it. Between two image encoder blocks it gives up as soon as anything else
wants the engine (a click or a propagation step took it since the encoding began), a newer
frame was shown, or a propagation runs; encodings that finish are handed to the video's
session under the engine lock, without waiting for it. A click on the very frame being
encoded joins the encoding instead (it is further along than a new one would be). When the
worker stays idle it also encodes the neighbours the annotator is likely to visit next
(f + 1, then f - 1), at the lowest CPU priority: those are guesses, and a click arriving
meanwhile must not share the cores with them.

The encoder is deterministic, and a session's features are the same whoever computed them:
masks do not change, only when the encoder runs (tests/sam2engine/test_encode_ahead.py).
"""

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

from backend.common.redis import get_redis
from backend.masklets import jobs
from worker import engine, registry, states

logger = logging.getLogger(__name__)


class Outcome:
    KEPT = "kept"  # encoded and handed to the session
    CACHED = "cached"  # the session had the frame's features already
    BUSY = "busy"  # the engine is in use or a propagation runs: not started
    ABSENT = "absent"  # the video's state is not in this worker's RAM, or no such frame
    ABANDONED = "abandoned"  # given up half-way (a click, a propagation step, a newer frame)


@dataclass
class _Encoding:
    """The encoding ahead under way, which a click on its frame may join."""

    video: int
    frame: int
    joined: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    kept: bool = False


_guard = threading.Lock()
_under_way: dict[str, _Encoding] = {}


def join(video_id: int, frame: int, timeout_s: float) -> bool:
    """A click on the very frame being encoded ahead waits for that encoding instead of
    starting its own (it is further along; the click needs those features first anyway).
    True when it joined one and its features are now the session's."""
    with _guard:
        encoding = _under_way.get("now")
        if encoding is None or (encoding.video, encoding.frame) != (video_id, frame):
            return False
        encoding.joined.set()
    encoding.done.wait(timeout_s)
    return encoding.kept


def under_way() -> tuple[int, int] | None:
    """(video, frame) of the encoding ahead under way, if any."""
    encoding = _under_way.get("now")
    return None if encoding is None else (encoding.video, encoding.frame)


def encode_ahead(video_id: int, frame: int, newer: Callable[[], bool]) -> str:
    """Encodes one frame of a resident video's state for later (an Outcome value).
    ``newer()`` says whether the annotator moved on; it is asked between encoder blocks."""
    encoding = _Encoding(video_id, frame)
    with _guard:
        _under_way["now"] = encoding
    try:
        outcome = _encode(encoding, newer)
    finally:
        with _guard:
            _under_way.pop("now", None)
        encoding.done.set()
    return outcome


def _encode(encoding: _Encoding, newer: Callable[[], bool]) -> str:
    video_id, frame = encoding.video, encoding.frame
    if registry.activity() or not engine.in_use.acquire(blocking=False):
        return Outcome.BUSY
    try:
        state = states.resident_state(video_id)
        if state is None or not 0 <= frame < state.session.num_frames:
            return Outcome.ABSENT
        session = state.session
        if session.has_features(frame):
            return Outcome.CACHED
        taken = engine.in_use.taken
    finally:
        engine.in_use.release()

    def cancelled() -> bool:
        if encoding.joined.is_set():
            return False  # a click on this frame waits for it
        # Anyone who took the engine since (a click, a propagation step) goes first.
        return (
            engine.in_use.taken != taken
            or engine.in_use.locked()
            or bool(registry.activity())
            or newer()
        )

    feats = session.encode_ahead(frame, cancelled)
    # A joined click waits for these features: a propagation step holding the engine now
    # is worth waiting for too.
    if feats is None or not engine.in_use.acquire(blocking=encoding.joined.is_set()):
        return Outcome.ABANDONED
    try:
        kept = states.resident_state(video_id)
        if kept is None or kept.session is not session:
            return Outcome.ABANDONED  # the state was evicted or replaced meanwhile
        session.keep_features(frame, feats)
        encoding.kept = True
        return Outcome.KEPT
    finally:
        engine.in_use.release()


def encode_around(video_id: int, frame: int, newer: Callable[[], bool]) -> list[str]:
    """Encodes the shown frame, then, while nothing else happens, its neighbours. The
    neighbours are encoded by a thread of the lowest CPU priority: a click that comes
    while one is under way gets the cores until the encoding sees it and gives up."""
    outcomes = [encode_ahead(video_id, frame, newer)]
    for target in (frame + 1, frame - 1):
        if outcomes[-1] in (Outcome.BUSY, Outcome.ABANDONED) or newer():
            break
        outcomes.append(_speculative().submit(encode_ahead, video_id, target, newer).result())
    return outcomes


@cache
def _speculative() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="sam2-neighbours", initializer=_lowest_priority)


def _lowest_priority() -> None:
    """Linux gives each thread a nice value of its own, which the threads it starts inherit
    (torch's OpenMP workers for this thread start at its first parallel region, after this).
    Where it is not allowed, the neighbours are encoded at normal priority."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def start_serving(queue: str, stop: threading.Event) -> None:
    """Serves the frames shown to annotators of this worker's videos until ``stop`` is set."""
    threading.Thread(target=_serve, args=(queue, stop), daemon=True, name="sam2-prefetch").start()


def _serve(queue: str, stop: threading.Event) -> None:
    client = get_redis()
    key = f"{jobs.SHOWN_KEY_PREFIX}{queue}"
    while not stop.is_set():
        try:
            popped = client.brpop([key], timeout=1)
            if popped is None:
                continue
            # Only the newest shown frame counts (the list is newest first).
            pipe = client.pipeline(transaction=True)
            pipe.lrange(key, 0, 0)
            pipe.delete(key)
            newest, _deleted = pipe.execute()
            shown: jobs.ShownFrame = json.loads(newest[0] if newest else popped[1])
            encode_around(shown["video"], shown["frame"], lambda: bool(client.llen(key)))
        except Exception:  # noqa: BLE001 -- encoding ahead is best effort; it must not stop
            logger.warning("could not encode a shown frame ahead on %s", queue, exc_info=True)
            stop.wait(1)
