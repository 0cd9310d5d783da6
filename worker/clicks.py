"""Clicks: the requests the web process pushes onto this worker's own Redis list.

A thread of its own serves them, beside Celery's (which runs propagation jobs): it takes
the oldest request, brings the video's session up to the request's prompt history, applies
the prompt and pushes SAM 2's mask (compressed RLE) and score onto the request's answer
list. The web process saves the mask; the worker only computes it.
"""

import json
import logging
import threading
import time

from django.db import close_old_connections

from backend.common import rle
from backend.common.exceptions import ApplicationError
from backend.common.redis import get_redis
from backend.masklets import jobs
from backend.masklets.models import Prompt
from worker import adapters, engine, sessions

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
    """SAM 2's mask for the request's prompt, or the error (message and HTTP status)."""
    started = time.perf_counter()
    fields = request["prompt"]
    prompt = Prompt(
        pk=fields["id"],
        masklet_id=fields["masklet"],
        frame_index=fields["frame_index"],
        points=fields["points"],
        box=fields["box"],
        clear_old=fields["clear_old"],
    )
    try:
        with engine.in_use:
            bound, replayed = sessions.session_for(request["video"], request["history"])
            engine_started = time.perf_counter()
            frame_masks = adapters.apply_prompt(bound.session, prompt, bound.video)
            engine_ms = (time.perf_counter() - engine_started) * 1000
            bound.applied.append(prompt.pk)
        mask, score = next(
            (m, s)
            for obj, m, s in adapters.masks_by_object(frame_masks)
            if obj == prompt.masklet_id
        )
        encoded = rle.encode(mask)
    except ApplicationError as exc:
        return {"error": exc.message, "status": exc.status, "extra": exc.extra}
    except Exception as exc:
        logger.exception("click on masklet %s (prompt %s) failed", prompt.masklet_id, prompt.pk)
        return {"error": f"SAM 2 failed on this prompt: {type(exc).__name__}: {exc}", "status": 500}
    return {
        "rle": dict(encoded),
        "score": score,
        "engine_ms": round(engine_ms, 3),
        "replayed": replayed,
        "task_ms": round((time.perf_counter() - started) * 1000, 3),
    }


# Eager mode (unit tests): clicks made in this process are answered here, inline.
jobs.inline_click_handler = answer
