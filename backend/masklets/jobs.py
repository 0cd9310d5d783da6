"""SAM 2 work the web process hands to workers: task names, queues and routing.

Interactive requests go to the worker that holds the video's SAM 2 session (each worker
process has its own queue); propagation jobs go to the shared `gpu` queue. Workers announce
themselves in Redis every few seconds (worker/registry.py writes what `live_workers` reads).
"""

import json
import time
from dataclasses import dataclass
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout

from backend.common.exceptions import ApplicationError
from backend.common.redis import get_redis
from backend.config.celery import app

PREDICT_PROMPT = "masklets.predict_prompt"
PROPAGATE = "masklets.propagate"
GPU_QUEUE = "gpu"

WORKER_KEY_PREFIX = "sam2:worker:"
SESSION_KEY_PREFIX = "sam2:session:"
# A worker whose announcement is older than this is gone (it announces every 3 s).
WORKER_TTL_S = 10
# How long the web process waits for a click's mask before giving up on that worker.
PREDICT_TIMEOUT_S = 60

HOW_TO_INSTALL = (
    "Fetch weights with `python -m sam2engine.weights fetch sam2.1_hiera_tiny` "
    "and point SAM2_CHECKPOINT at the file, then restart the workers."
)


class Sam2Unavailable(ApplicationError):
    status = 503


@dataclass(frozen=True)
class WorkerInfo:
    queue: str
    sam2: bool
    reason: str
    sessions: int


def live_workers() -> list[WorkerInfo]:
    client = get_redis()
    workers = []
    for key in client.scan_iter(match=f"{WORKER_KEY_PREFIX}*", count=100):
        raw = client.get(key)
        if raw is None:
            continue
        info = json.loads(raw)
        workers.append(
            WorkerInfo(
                queue=info["queue"],
                sam2=bool(info.get("sam2")),
                reason=info.get("reason", ""),
                sessions=int(info.get("sessions", 0)),
            )
        )
    return workers


def sam2_status() -> dict[str, Any]:
    """What the frontend shows: whether SAM 2 can answer, and if not why and how to fix it."""
    workers = live_workers()
    ready = [w for w in workers if w.sam2]
    if ready:
        return {"available": True, "workers": len(ready), "message": ""}
    reasons = sorted({w.reason for w in workers if w.reason})
    message = "; ".join(reasons) if reasons else "No SAM 2 worker is running."
    return {"available": False, "workers": 0, "message": f"{message} {HOW_TO_INSTALL}"}


def require_sam2() -> None:
    """Raises 503 with the reason unless a SAM 2 worker is live (eager tests: always live)."""
    if _inline_task(PROPAGATE) is not None:
        return
    status = sam2_status()
    if not status["available"]:
        raise Sam2Unavailable(f"SAM 2 is not available: {status['message']}", extra={"sam2": False})


def _choose_worker(video_id: int, exclude: set[str]) -> str:
    client = get_redis()
    workers = [w for w in live_workers() if w.sam2 and w.queue not in exclude]
    bound = client.get(f"{SESSION_KEY_PREFIX}{video_id}")
    bound_queue = bound.decode() if bound else None
    if bound_queue and any(w.queue == bound_queue for w in workers):
        return bound_queue
    if not workers:
        raise Sam2Unavailable(
            f"SAM 2 is not available: {sam2_status()['message']}", extra={"sam2": False}
        )
    # A new or orphaned session goes to the least busy worker; it replays the prompts.
    chosen = min(workers, key=lambda w: (w.sessions, w.queue)).queue
    client.set(f"{SESSION_KEY_PREFIX}{video_id}", chosen)
    return chosen


def predict_prompt(*, video_id: int, prompt_id: int) -> dict[str, Any]:
    """Runs a stored prompt on the worker holding the video's session and returns its
    result ({"frame_index", "rle", "score", "version", "engine_ms", "worker"}).

    If that worker does not answer, the session moves to another worker, which rebuilds it
    by replaying the stored prompts: a lost worker costs latency, never work.
    """
    inline = _inline_task(PREDICT_PROMPT)
    if inline is not None:
        return dict(inline.apply(args=[prompt_id]).get())
    tried: set[str] = set()
    for _attempt in range(3):
        queue = _choose_worker(video_id, tried)
        result = _send(PREDICT_PROMPT, args=[prompt_id], queue=queue)
        try:
            return dict(_wait_while_alive(result, queue))
        except CeleryTimeout:
            tried.add(queue)
            get_redis().delete(f"{SESSION_KEY_PREFIX}{video_id}")
        finally:
            result.forget()
    raise Sam2Unavailable("No SAM 2 worker answered in time; try again in a moment.")


def _wait_while_alive(result, queue: str):  # type: ignore[no-untyped-def]
    """The task's result; CeleryTimeout once its worker stopped announcing itself (it died)
    or PREDICT_TIMEOUT_S passed."""
    deadline = time.monotonic() + PREDICT_TIMEOUT_S
    while True:
        try:
            return result.get(timeout=1.0, propagate=True, disable_sync_subtasks=False)
        except CeleryTimeout:
            gone = not get_redis().exists(f"{WORKER_KEY_PREFIX}{queue}")
            if gone or time.monotonic() > deadline:
                raise


def enqueue_propagation(*, job_id: int) -> None:
    _send(PROPAGATE, args=[job_id], queue=GPU_QUEUE)


def _inline_task(name: str):  # type: ignore[no-untyped-def]
    """In eager mode (unit tests) a task registered in this process runs inline."""
    return app.tasks.get(name) if app.conf.task_always_eager else None


def _send(name: str, *, args: list[Any], queue: str):  # type: ignore[no-untyped-def]
    """By name, so that the web process never imports the worker (nor torch)."""
    inline = _inline_task(name)
    if inline is not None:
        return inline.apply(args=args)
    return app.send_task(name, args=args, queue=queue)
