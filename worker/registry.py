"""A SAM 2 worker announces itself in Redis every few seconds (what the web process routes
clicks by) and, while it is at it, returns propagation jobs of dead workers to the queue."""

import json
import logging
import os
import socket
import threading
from typing import Any

from django.db import close_old_connections

from backend.common.redis import get_redis
from backend.masklets import jobs
from backend.masklets.propagation import propagation_job_heartbeat, propagation_jobs_recover
from worker import sessions
from worker.engine import engine_status_if_loaded
from worker.tasks import segmentation

logger = logging.getLogger(__name__)

ANNOUNCE_EVERY_S = 3


def interactive_queue_name() -> str:
    """This process's own name: its click requests (for the videos whose sessions it holds)
    wait in the Redis list jobs.CLICKS_KEY_PREFIX + this name."""
    return f"sam2-{socket.gethostname()}-{os.getpid()}"


def start_announcing(queue: str) -> threading.Event:
    """Starts the announcing thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_announce_loop, args=(queue, stop), daemon=True, name="sam2-announce"
    )
    thread.start()
    return stop


def withdraw(queue: str) -> None:
    """Unannounced: web processes route clicks elsewhere (unserved requests go with it)."""
    get_redis().delete(f"{jobs.WORKER_KEY_PREFIX}{queue}", f"{jobs.CLICKS_KEY_PREFIX}{queue}")


def announcement(queue: str) -> dict[str, Any]:
    """What the worker says about itself (read by jobs.live_workers): while the model loads
    it is `starting`, and `busy` while it runs a propagation (clicks then wait a frame)."""
    status = engine_status_if_loaded()
    return {
        "queue": queue,
        "sam2": status is not None and status.available,
        "starting": status is None,
        "busy": bool(segmentation.RUNNING_JOB),
        "reason": "" if status is None else status.reason,
        "config": "" if status is None else status.config,
        "device": "" if status is None else status.device,
        "sessions": sessions.open_sessions(),
        "pid": os.getpid(),
    }


def _announce_loop(queue: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            get_redis().set(
                f"{jobs.WORKER_KEY_PREFIX}{queue}",
                json.dumps(announcement(queue)),
                ex=jobs.WORKER_TTL_S,
            )
            close_old_connections()
            running = dict(segmentation.RUNNING_JOB)
            if running:
                propagation_job_heartbeat(job_id=running["job_id"], attempt=running["attempt"])
            propagation_jobs_recover()
        except Exception:  # noqa: BLE001 -- a broker or database hiccup must not kill the thread
            logger.warning("could not announce worker %s", queue, exc_info=True)
        finally:
            close_old_connections()
        stop.wait(ANNOUNCE_EVERY_S)
