"""A SAM 2 worker announces itself in Redis every few seconds (what the web process routes
clicks by). Job heartbeats and recovery are backend/jobs' (runner.py, recovery.py)."""

import json
import logging
import os
import socket
import threading

from backend.common.redis import get_redis
from backend.masklets import jobs
from worker import states
from worker.engine import engine_status

logger = logging.getLogger(__name__)

ANNOUNCE_EVERY_S = 3

# What this worker is doing, in words, for the web's time-out messages (set by the tasks).
_activity = {"now": ""}
# This process's name once it announces itself as a SAM 2 worker.
_self = {"queue": ""}


def activity() -> str:
    return _activity["now"]


def set_activity(text: str) -> None:
    _activity["now"] = text


def interactive_queue_name() -> str:
    """This process's own name: its click requests (for the videos whose sessions it holds)
    wait in the Redis list jobs.CLICKS_KEY_PREFIX + this name."""
    return f"sam2-{socket.gethostname()}-{os.getpid()}"


def own_queue() -> str:
    """This process's name when it is an announced SAM 2 worker ("" otherwise, e.g. tests)."""
    return _self["queue"]


def start_announcing(queue: str) -> threading.Event:
    """Starts the announcing thread; set the returned event to stop it."""
    _self["queue"] = queue
    stop = threading.Event()
    thread = threading.Thread(
        target=_announce_loop, args=(queue, stop), daemon=True, name="sam2-announce"
    )
    thread.start()
    return stop


def withdraw(queue: str) -> None:
    """Unannounced: web processes route clicks elsewhere (unserved requests go with it)."""
    get_redis().delete(f"{jobs.WORKER_KEY_PREFIX}{queue}", f"{jobs.CLICKS_KEY_PREFIX}{queue}")


def _announce_loop(queue: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            status = engine_status()
            info = {
                "queue": queue,
                "sam2": status.available,
                "reason": status.reason,
                "config": status.config,
                "device": status.device,
                "sessions": states.resident(),
                "activity": activity(),
                "pid": os.getpid(),
            }
            get_redis().set(
                f"{jobs.WORKER_KEY_PREFIX}{queue}", json.dumps(info), ex=jobs.WORKER_TTL_S
            )
        except Exception:  # noqa: BLE001 -- a broker hiccup must not kill the thread
            logger.warning("could not announce worker %s", queue, exc_info=True)
        stop.wait(ANNOUNCE_EVERY_S)
