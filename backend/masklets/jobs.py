"""SAM 2 work the web process hands to workers: clicks, propagation jobs and routing.

A click goes straight to the worker that holds the video's SAM 2 session, over Redis: the
web process pushes the request onto that worker's own list and blocks on a reply list of
its own (no Celery message, no result backend: a click costs a few Redis round trips).
Propagation jobs are background jobs (backend/jobs; kind module masklets/propagation.py)
woken on the shared `gpu` queue. Workers announce themselves in Redis every few seconds
(worker/registry.py writes what `live_workers` reads; the click requests are served by
worker/clicks.py).

While Redis is unreachable a click gets a 503 saying so (never an HTML 500); right after
Redis restarted (empty), workers re-announce within ANNOUNCE seconds: a click waits for
them, or hears that they are reconnecting, never that SAM 2 is not installed.
"""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypedDict

import redis
from django.db import connection

from backend.common.exceptions import ApplicationError
from backend.common.redis import get_redis
from backend.config.celery import app
from backend.masklets.actions import action_abandon
from backend.masklets.models import Prompt, SessionAction

PROPAGATE = "masklets.propagate"
GPU_QUEUE = "gpu"

WORKER_KEY_PREFIX = "sam2:worker:"
SESSION_KEY_PREFIX = "sam2:session:"
# + a worker's name: the list of click requests that worker serves, oldest last.
CLICKS_KEY_PREFIX = "sam2:clicks:"
# + a worker's name: the frames annotators rest on, newest first, that the worker encodes
# ahead (worker/prefetch.py); only the newest counts, a newer one cancels the current one.
SHOWN_KEY_PREFIX = "sam2:shown:"
# A shown frame nobody encoded within this long is stale.
SHOWN_TTL_S = 10
# + a request id: the list the worker pushes that request's answer onto.
ANSWER_KEY_PREFIX = "sam2:answer:"
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


class BrokerUnavailable(Sam2Unavailable):
    """Redis (clicks, worker announcements) cannot be reached."""


# Workers re-announce every 3 s; a Redis server younger than this may still be waiting for
# them after a restart.
REANNOUNCE_WINDOW_S = 15


class ClickRequest(TypedDict):
    answer_to: str  # the list to push the answer onto
    video: int
    # The click's PROMPT entry in the video's SAM 2 action log: the worker brings the
    # video's state up to the log (this entry included) and answers with this entry's mask.
    seq: int
    # Unix time after which the web process no longer waits: the worker drops the request.
    deadline: float


class ClickAnswer(TypedDict, total=False):
    """SAM 2's mask for the prompt's frame, or the error that prevented it."""

    rle: dict[str, Any]
    score: float
    engine_ms: float
    replayed: bool  # the video's state was not in the worker's RAM (loaded or replayed)
    loaded: str  # "resident", "snapshot" (loaded from storage) or "replay" (log replayed)
    task_ms: float  # the worker's time from request to answer
    error: str
    status: int  # the HTTP status of the error
    extra: dict[str, Any]


# The worker's click handler when it runs in this process: in eager mode (unit tests) a click
# is answered inline. Set by worker/clicks.py on import; the web process never imports it.
inline_click_handler: Callable[[ClickRequest], ClickAnswer] | None = None


@dataclass(frozen=True)
class WorkerInfo:
    queue: str  # the worker's name; its click requests wait in CLICKS_KEY_PREFIX + queue
    sam2: bool
    reason: str
    sessions: int
    starting: bool = False  # still loading the model
    busy: bool = False  # running a propagation: clicks are answered between its frames


def _worker_info(raw: bytes) -> WorkerInfo:
    info = json.loads(raw)
    return WorkerInfo(
        queue=info["queue"],
        sam2=bool(info.get("sam2")),
        reason=info.get("reason", ""),
        sessions=int(info.get("sessions", 0)),
        starting=bool(info.get("starting")),
        busy=bool(info.get("busy")),
    )


@contextmanager
def _broker_errors() -> Iterator[None]:
    """Redis errors as a JSON 503 that says what is wrong."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise BrokerUnavailable(
            "The broker (Redis) is unreachable, so SAM 2 cannot be asked; try again once it "
            "is back.",
            extra={"sam2": False, "broker": False},
        ) from exc


def live_workers() -> list[WorkerInfo]:
    with _broker_errors():
        client = get_redis()
        workers = []
        for key in client.scan_iter(match=f"{WORKER_KEY_PREFIX}*", count=100):
            raw = client.get(key)
            if raw is not None:
                workers.append(_worker_info(raw))
        return workers


def _broker_uptime_s() -> int:
    with _broker_errors():
        return int(get_redis().info("server").get("uptime_in_seconds", REANNOUNCE_WINDOW_S))


class Sam2State(TypedDict):
    available: bool  # a click would be answered now
    # ready | busy (every SAM 2 worker is propagating) | starting (loading the model) |
    # not_installed (workers run without usable weights) | offline (no worker announces)
    state: str
    workers: int
    message: str  # what it means for the annotator, and what to do


def sam2_status() -> Sam2State:
    """What the frontend shows: whether SAM 2 can answer, and if not why and how to fix it."""
    workers = live_workers()
    ready = [w for w in workers if w.sam2]
    if ready:
        if all(w.busy for w in ready):
            message = "SAM 2 is propagating; clicks are answered between its frames."
            return Sam2State(available=True, state="busy", workers=len(ready), message=message)
        return Sam2State(available=True, state="ready", workers=len(ready), message="")
    if any(w.starting for w in workers):
        message = "SAM 2 is starting (loading the model); clicks work in a moment."
        return Sam2State(available=False, state="starting", workers=0, message=message)
    if not workers and _broker_uptime_s() < REANNOUNCE_WINDOW_S:
        message = (
            "SAM 2 workers are reconnecting (the broker just restarted); try again in a few "
            "seconds."
        )
        return Sam2State(available=False, state="starting", workers=0, message=message)
    reasons = sorted({w.reason for w in workers if w.reason})
    if not reasons:
        message = "No SAM 2 worker is running; start one on the gpu queue (`make run` does)."
        return Sam2State(available=False, state="offline", workers=0, message=message)
    message = f"{'; '.join(reasons)} {HOW_TO_INSTALL}"
    return Sam2State(available=False, state="not_installed", workers=0, message=message)


def _await_reannouncement() -> None:
    """Right after a broker restart, waits (a few seconds at most) for SAM 2 workers to
    announce themselves again."""
    remaining = REANNOUNCE_WINDOW_S - _broker_uptime_s()
    deadline = time.monotonic() + max(0, remaining)
    while time.monotonic() < deadline and not any(w.sam2 for w in live_workers()):
        time.sleep(0.5)


def require_sam2() -> None:
    """Raises 503 with the reason unless a SAM 2 worker is live (eager tests: always live)."""
    if app.conf.task_always_eager and PROPAGATE in app.tasks:
        return
    _await_reannouncement()
    status = sam2_status()
    if not status["available"]:
        raise Sam2Unavailable(f"SAM 2 is not available: {status['message']}", extra={"sam2": False})


def _bound_worker(client: redis.Redis, video_id: int, exclude: set[str]) -> str | None:
    """The live SAM 2 worker that holds the video's state (two reads), if any."""
    bound = client.get(f"{SESSION_KEY_PREFIX}{video_id}")
    if bound is None or bound.decode() in exclude:
        return None
    raw = client.get(f"{WORKER_KEY_PREFIX}{bound.decode()}")
    return bound.decode() if raw is not None and _worker_info(raw).sam2 else None


def _bind_least_busy(client: redis.Redis, video_id: int, workers: list[WorkerInfo]) -> str:
    """A video without a live holder goes to the least busy worker; it loads the state."""
    chosen = min(workers, key=lambda w: (w.sessions, w.queue)).queue
    client.set(f"{SESSION_KEY_PREFIX}{video_id}", chosen)
    return chosen


def _choose_worker(client: redis.Redis, video_id: int, exclude: set[str]) -> str:
    """The live SAM 2 worker bound to the video, else the least busy one (now bound)."""
    bound = _bound_worker(client, video_id, exclude)
    if bound is not None:
        return bound
    workers = [w for w in live_workers() if w.sam2 and w.queue not in exclude]
    if not workers and not exclude:
        _await_reannouncement()
        workers = [w for w in live_workers() if w.sam2]
    if not workers:
        raise Sam2Unavailable(
            f"SAM 2 is not available: {sam2_status()['message']}", extra={"sam2": False}
        )
    return _bind_least_busy(client, video_id, workers)


def propagation_queue(*, video_id: int) -> str:
    """Where a propagation of the video is woken: the Celery queue of the worker holding the
    video's SAM 2 state (each SAM 2 worker consumes one named after itself), so clicks and
    propagation act on one state in one process; the shared queue when no SAM 2 worker is
    live (the first to start takes it) or the broker cannot be asked."""
    try:
        client = get_redis()
        bound = _bound_worker(client, video_id, set())
        if bound is not None:
            return bound
        workers = [w for w in live_workers() if w.sam2]
        return _bind_least_busy(client, video_id, workers) if workers else GPU_QUEUE
    except (redis.ConnectionError, redis.TimeoutError, BrokerUnavailable):
        return GPU_QUEUE


def bind_video(*, video_id: int, worker: str) -> None:
    """The worker now holds the video's state (it took a job of it from the shared queue)."""
    get_redis().set(f"{SESSION_KEY_PREFIX}{video_id}", worker)


class ShownFrame(TypedDict):
    video: int
    frame: int


def frame_shown(*, video_id: int, frame_index: int) -> bool:
    """Tells the worker holding the video's SAM 2 state which frame an annotator rests on,
    so it encodes it (and its neighbours) before the first click. Best effort: False when no
    worker holds the video (nothing is bound for it) or the broker cannot be reached."""
    if app.conf.task_always_eager:
        return False  # no worker threads in this process
    try:
        client = get_redis()
        worker = _bound_worker(client, video_id, set())
        if worker is None:
            return False
        key = f"{SHOWN_KEY_PREFIX}{worker}"
        pipe = client.pipeline(transaction=False)
        pipe.lpush(key, json.dumps(ShownFrame(video=video_id, frame=frame_index)))
        pipe.ltrim(key, 0, 15)
        pipe.expire(key, SHOWN_TTL_S)
        pipe.execute()
        return True
    except (redis.ConnectionError, redis.TimeoutError):
        return False


def predict_prompt(*, prompt: Prompt, action: SessionAction) -> ClickAnswer:
    """SAM 2's answer to a stored prompt (its log entry ``action``) from the worker holding
    the video's SAM 2 state. Raises the worker's error as an ApplicationError with its status.

    If that worker does not answer, the state moves to another worker, which loads it from
    its snapshot (or replays the log): a lost worker costs latency, never work.
    """
    request = ClickRequest(answer_to="", video=action.video_id, seq=action.seq, deadline=0.0)
    if app.conf.task_always_eager and inline_click_handler is not None:
        answer = inline_click_handler(request)
    else:
        with _broker_errors():
            answer = _ask_workers(request, action)
    if "error" in answer:
        raise ApplicationError(answer["error"], extra=answer.get("extra"), status=answer["status"])
    return answer


def _ask_workers(request: ClickRequest, action: SessionAction) -> ClickAnswer:
    # A click waits for SAM 2 for seconds under load: its database connection goes back to
    # the process's pool meanwhile. (Held, 10 clicks in flight took a web process's whole
    # pool and every other request queued for a connection: the load test's p50 was 1.2 s.)
    if not connection.in_atomic_block:
        connection.close()
    client = get_redis()
    tried: set[str] = set()
    for _attempt in range(3):
        worker = _choose_worker(client, request["video"], tried)
        request["answer_to"] = f"{ANSWER_KEY_PREFIX}{uuid.uuid4().hex}"
        request["deadline"] = time.time() + PREDICT_TIMEOUT_S
        requests_key = f"{CLICKS_KEY_PREFIX}{worker}"
        pipe = client.pipeline(transaction=False)
        pipe.lpush(requests_key, json.dumps(request))
        # Requests to a worker that died are not served by anyone: they expire.
        pipe.expire(requests_key, PREDICT_TIMEOUT_S)
        pipe.execute()
        answer = _await_answer(client, request["answer_to"], worker, PREDICT_TIMEOUT_S)
        if answer is not None:
            return answer
        if _worker_alive(client, worker):
            # Alive but it has not answered: give up on the click unless it is computing it.
            if action_abandon(action_id=action.pk):
                raise Sam2Unavailable(
                    f"The SAM 2 worker holding this video did not get to this click within "
                    f"{PREDICT_TIMEOUT_S} s ({_activity(client, worker)}); the click was "
                    "taken back, try again in a moment.",
                    extra={"worker": worker, "timeout_s": PREDICT_TIMEOUT_S},
                    status=504,
                )
            answer = _await_answer(client, request["answer_to"], worker, PREDICT_TIMEOUT_S)
            if answer is not None:
                return answer
        tried.add(worker)
        client.delete(f"{SESSION_KEY_PREFIX}{request['video']}")
    raise Sam2Unavailable(
        f"No SAM 2 worker answered this click (tried {len(tried)}: they stopped while "
        "computing it); try again in a moment.",
        extra={"workers": sorted(tried)},
    )


def _worker_alive(client: redis.Redis, worker: str) -> bool:
    return bool(client.exists(f"{WORKER_KEY_PREFIX}{worker}"))


def _activity(client: redis.Redis, worker: str) -> str:
    """What the worker said it is doing, in words."""
    raw = client.get(f"{WORKER_KEY_PREFIX}{worker}")
    if raw is None:
        return "it stopped announcing itself"
    info = json.loads(raw)
    queued = client.llen(f"{CLICKS_KEY_PREFIX}{worker}")
    doing = info.get("activity") or "idle"
    return f"it is {doing}, with {queued} click(s) waiting"


def _await_answer(
    client: redis.Redis, answer_to: str, worker: str, timeout_s: float
) -> ClickAnswer | None:
    """The worker's answer; None once it stopped announcing itself (it died) or
    ``timeout_s`` passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        popped = client.blpop([answer_to], timeout=1)
        if popped is not None:
            answer: ClickAnswer = json.loads(popped[1])
            return answer
        if not _worker_alive(client, worker):
            return None
    return None
