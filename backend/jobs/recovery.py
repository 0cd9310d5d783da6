"""The recovery loop: every worker process runs one (worker/app.py), never a web request.

Why every worker and not celery beat: a beat is one more process to deploy and keep alive,
and a deployment whose beat died would silently stop recovering. Each round is idempotent
and takes rows with SKIP LOCKED, so N workers running it at once do the work once; any
single live worker is enough.

A round:
- lost runs: running jobs whose heartbeat is older than JOB_STALE_AFTER_S are requeued
  (or failed after the kind's attempts, naming the lost worker by name, host, pid, queue);
- wake-ups: queued jobs without a wake-up (the broker was down when they were created, a
  retry's back-off passed), with one older than JOB_REQUEUE_AFTER_S, or all of them when
  the broker lost its memory (restarted without persistence) get one;
- unclaimed: jobs queued for longer than JOB_QUEUED_TIMEOUT_S fail, naming their queue;
- events: committed events left without a position (a process died between its commit
  and its sequencing) get one.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import redis
from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from backend.config.celery import app
from backend.events.services import events_sequence
from backend.jobs import dispatch, services
from backend.jobs.enums import JobStatus
from backend.jobs.models import Job

logger = logging.getLogger(__name__)

# A key in the broker's own Redis database; gone means the broker lost its queues.
BROKER_MARKER_KEY = "jobs:broker-marker"
# A job created this recently may still be sending its first wake-up itself.
FIRST_WAKEUP_GRACE_S = 10


@dataclass
class RecoveryReport:
    lost: list[int] = field(default_factory=list)
    woken: list[int] = field(default_factory=list)
    unclaimed: list[int] = field(default_factory=list)
    broker_restarted: bool = False


def jobs_recover() -> RecoveryReport:
    """One round (see the module's docstring). Safe to run anywhere, any time, in parallel."""
    report = RecoveryReport()
    now = timezone.now()
    stale = Job.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - services.stale_after()
    )
    for job_id in stale.values_list("pk", flat=True):
        if services.job_recover_lost(job_id=job_id) is not None:
            report.lost.append(job_id)
    report.broker_restarted = broker_lost_memory()
    due = Job.objects.filter(status=JobStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    if not report.broker_restarted:
        due = due.filter(
            Q(
                enqueued_at__isnull=True,
                updated_at__lt=now - timedelta(seconds=FIRST_WAKEUP_GRACE_S),
            )
            | Q(enqueued_at__lt=now - timedelta(seconds=settings.JOB_REQUEUE_AFTER_S))
        )
    for job_id in due.order_by("id").values_list("pk", flat=True):
        if dispatch.send_wakeup(job_id=job_id):
            report.woken.append(job_id)
    timeout = timedelta(seconds=settings.JOB_QUEUED_TIMEOUT_S)
    overdue = Job.objects.filter(status=JobStatus.QUEUED, updated_at__lt=now - timeout)
    for job_id in overdue.values_list("pk", flat=True):
        if services.job_fail_unclaimed(job_id=job_id, older_than=timeout) is not None:
            report.unclaimed.append(job_id)
    events_sequence()
    return report


def broker_lost_memory() -> bool:
    """True once after the broker came back empty (a restart without persistence, a flush):
    its marker key is gone. Sets the marker again. False when the broker is not Redis, is
    unreachable (nothing can be sent to it now anyway), or tasks run eagerly (tests)."""
    client = None if app.conf.task_always_eager else _broker_redis()
    if client is None:
        return False
    try:
        return bool(client.set(BROKER_MARKER_KEY, "1", nx=True))
    except (redis.ConnectionError, redis.TimeoutError):
        return False


@cache
def _broker_redis() -> redis.Redis | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def start_recovery_loop(stop: threading.Event) -> threading.Thread:
    """Runs `jobs_recover` every JOB_RECOVER_EVERY_S until `stop` is set."""
    thread = threading.Thread(target=_loop, args=(stop,), daemon=True, name="job-recovery")
    thread.start()
    return thread


def _loop(stop: threading.Event) -> None:
    while not stop.wait(settings.JOB_RECOVER_EVERY_S):
        try:
            report = jobs_recover()
            if report.lost or report.woken or report.unclaimed:
                logger.info(
                    "job recovery: lost %s, woken %s, unclaimed %s%s",
                    report.lost,
                    report.woken,
                    report.unclaimed,
                    " (the broker restarted empty)" if report.broker_restarted else "",
                )
        except Exception:  # noqa: BLE001 -- a broker or database outage must not end the loop
            logger.warning("job recovery round failed; next round soon", exc_info=True)
        finally:
            close_old_connections()
