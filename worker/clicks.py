"""Clicks: the requests the web process pushes onto this worker's own Redis list.

A thread of its own serves them, beside Celery's (which runs propagation jobs): it takes
the oldest request, brings the video's SAM 2 state up to the video's action log (which holds
the click as a PROMPT entry) and pushes SAM 2's mask for that entry (compressed RLE) and
score onto the request's answer list. The web process saves the mask; the worker only
computes it. A request the web process gave up on is dropped without computing anything.
"""

import json
import logging
import threading
import time

from django.db import close_old_connections

from backend.common.exceptions import ApplicationError
from backend.common.redis import get_redis
from backend.masklets import jobs
from backend.masklets.enums import ActionState
from backend.masklets.models import SessionAction
from worker import engine, prefetch, states

logger = logging.getLogger(__name__)

# An answer nobody took (the web process gave up on it) disappears after this.
ANSWER_TTL_S = 60


def start_serving(queue: str, stop: threading.Event) -> None:
    """Serves the click requests of this worker's list until ``stop`` is set."""
    threading.Thread(target=_serve, args=(queue, stop), daemon=True, name="sam2-clicks").start()


def _serve(queue: str, stop: threading.Event) -> None:
    client = get_redis()
    requests_key = f"{jobs.CLICKS_KEY_PREFIX}{queue}"
    while not stop.is_set():
        try:
            popped = client.brpop([requests_key], timeout=1)
            if popped is None:
                continue
            request: jobs.ClickRequest = json.loads(popped[1])
            if time.time() > request["deadline"]:
                continue  # the web process gave up on it (and took the prompt back)
            pipe = client.pipeline(transaction=False)
            pipe.lpush(request["answer_to"], json.dumps(answer(request)))
            pipe.expire(request["answer_to"], ANSWER_TTL_S)
            pipe.execute()
        except Exception:  # noqa: BLE001 -- a broker hiccup or a bad message must not stop clicks
            logger.warning("could not serve the click requests of %s", queue, exc_info=True)
            stop.wait(1)
        finally:
            close_old_connections()


def answer(request: jobs.ClickRequest) -> jobs.ClickAnswer:
    """SAM 2's mask for the request's PROMPT entry, or the error (message and HTTP status)."""
    started = time.perf_counter()
    seq = request["seq"]
    try:
        _join_encoding_ahead(request)
        with engine.in_use:
            state = states.get(request["video"])
            loaded = state.loaded
            states.catch_up(state)
            result = states.answer_take(state.video.pk, seq)
        if result is None:
            return _unanswerable(request)
    except ApplicationError as exc:
        return {"error": exc.message, "status": exc.status, "extra": exc.extra}
    except Exception as exc:
        logger.exception("click #%s on video %s failed", seq, request["video"])
        return {"error": f"SAM 2 failed on this prompt: {type(exc).__name__}: {exc}", "status": 500}
    return {
        "rle": result.rle,
        "score": result.score,
        "engine_ms": round(result.engine_ms, 3),
        "replayed": loaded != "resident",
        "loaded": loaded,
        "task_ms": round((time.perf_counter() - started) * 1000, 3),
    }


def _join_encoding_ahead(request: jobs.ClickRequest) -> None:
    """A click on the frame being encoded ahead waits for that encoding (worker/prefetch.py)."""
    if prefetch.under_way() is None:
        return
    frame = (
        SessionAction.objects.filter(video_id=request["video"], seq=request["seq"])
        .values_list("frame_index", flat=True)
        .first()
    )
    if frame is not None:
        left = request["deadline"] - time.time() if request["deadline"] else jobs.PREDICT_TIMEOUT_S
        prefetch.join(request["video"], frame, timeout_s=max(1.0, left))


def _unanswerable(request: jobs.ClickRequest) -> jobs.ClickAnswer:
    """The entry is in the state but its answer is gone: it was taken back, or applied by a
    worker that stopped before answering (this state was loaded from its snapshot)."""
    entry_state = (
        SessionAction.objects.filter(video_id=request["video"], seq=request["seq"])
        .values_list("state", flat=True)
        .first()
    )
    if entry_state in (ActionState.ABANDONED, ActionState.UNDONE):
        return {"error": "This click was taken back before SAM 2 answered it.", "status": 409}
    return {
        "error": "The SAM 2 worker that computed this click stopped before answering; click again.",
        "status": 503,
    }


# Eager mode (unit tests): clicks made in this process are answered here, inline.
jobs.inline_click_handler = answer
