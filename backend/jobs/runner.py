"""Running one job in a worker: claim, heartbeat, outcome. Each kind's Celery task is one
call to `job_execute` with the kind's run function, so the life cycle is written once."""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from kombu.exceptions import OperationalError as BrokerError

from backend.common.exceptions import ApplicationError
from backend.jobs.models import Job
from backend.jobs.registry import spec_for
from backend.jobs.services import (
    JobStopped,
    WorkerIdentity,
    job_claim,
    job_fail,
    job_finish,
    job_heartbeat,
    job_retry_later,
)

logger = logging.getLogger(__name__)

# Errors that say "try again later", not "this job cannot be done".
TRANSIENT = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    BrokerError,
)
# Tries of one database write after a transient error, a second apart.
WRITE_TRIES = 5

RunFn = Callable[[Job], dict[str, Any] | None]


def worker_identity(request: Any) -> WorkerIdentity:
    """Who runs a task: the Celery request's node name and queue, this host and process."""
    delivery = getattr(request, "delivery_info", None) or {}
    return WorkerIdentity(
        name=getattr(request, "hostname", None) or "inline",
        host=socket.gethostname(),
        pid=os.getpid(),
        queue=delivery.get("routing_key") or "",
    )


def job_execute(*, job_id: int, worker: WorkerIdentity, run: RunFn) -> None:
    """Claims the job and runs it: its result finishes it; JobStopped ends it quietly (as
    cancelled, or not at all when another attempt took over); a transient error requeues it
    (bounded by the kind's attempts); any other error fails it with the reason. Never
    raises: the job row says what happened."""
    job = _write(lambda: job_claim(job_id=job_id, worker=worker))
    if job is None:
        return
    _heartbeats.add(job)
    try:
        result = run(job)
    except JobStopped:
        _write(lambda: job_finish(job=job))
    except TRANSIENT as exc:
        logger.warning("job %s hit a transient error; retrying later", job.pk, exc_info=True)
        reason = f"{type(exc).__name__}: {exc}".strip()
        _write(lambda: job_retry_later(job=job, reason=reason))
    except ApplicationError as exc:
        message = exc.message
        _write(lambda: job_fail(job_id=job.pk, reason=message, attempt=job.attempts))
    except Exception as exc:  # noqa: BLE001 -- any failure ends the job with why
        logger.exception("job %s failed", job.pk)
        reason = spec_for(job.kind).describe_error(exc)
        _write(lambda: job_fail(job_id=job.pk, reason=reason, attempt=job.attempts))
    else:
        _write(lambda: job_finish(job=job, result=result))
    finally:
        _heartbeats.discard(job)


def _write(write: Callable[[], Any]) -> Any:
    """A life-cycle write, retried while the database is briefly away. If it stays away the
    job is left as it is; the recovery loop takes it from there (a stale heartbeat)."""
    for attempt in range(WRITE_TRIES):
        try:
            return write()
        except (OperationalError, InterfaceError):
            close_old_connections()
            if attempt == WRITE_TRIES - 1:
                logger.exception("could not record a job transition; the recovery loop will")
                return None
            time.sleep(1)
    return None


class _Heartbeats:
    """One thread per process beats for the jobs this process runs, so a long step (a slow
    decode, a large zip member) never makes a live job look lost."""

    def __init__(self) -> None:
        self._jobs: dict[int, int] = {}  # job id -> attempt
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.pk] = job.attempts
            # A forked child inherits the object but not the thread.
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, daemon=True, name="job-heartbeat")
                self._thread.start()

    def discard(self, job: Job) -> None:
        with self._lock:
            self._jobs.pop(job.pk, None)

    def _run(self) -> None:
        while True:
            time.sleep(settings.JOB_HEARTBEAT_EVERY_S)
            with self._lock:
                running = dict(self._jobs)
            if not running:
                continue
            try:
                for job_id, attempt in running.items():
                    job_heartbeat(job_id=job_id, attempt=attempt)
            except Exception:  # noqa: BLE001 -- a database hiccup must not stop the beats
                logger.warning("could not send job heartbeats", exc_info=True)
            finally:
                close_old_connections()


_heartbeats = _Heartbeats()
