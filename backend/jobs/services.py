"""The life cycle every job kind shares.

    create -> queued --claim--> running --finish--> done | cancelled
                 ^                 |  \\--fail----> failed (with the reason)
                 |                 |
                 +--- requeue -----+  (a transient error, with a bounded count; a lost worker)

The job row is the truth; a broker message is only a wake-up to claim it. A wake-up is
sent after the creating transaction commits; if the broker cannot take it, the row stays
queued without `enqueued_at` and the recovery loop (recovery.py) sends one once the broker
is back. Claiming is safe to repeat (a duplicate wake-up finds the job running or finished
and does nothing), and every write of a run names its attempt: a run that was given up as
lost and replaced cannot write over its successor.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.events.services import event_record
from backend.jobs import dispatch
from backend.jobs.enums import JobKind, JobStatus, Transition
from backend.jobs.models import Job
from backend.jobs.registry import spec_for
from backend.projects.models import Project
from backend.videos.models import Video

logger = logging.getLogger(__name__)


class JobStopped(Exception):
    """Raised inside a run when its job was cancelled or taken over: the run ends quietly."""


@dataclass(frozen=True)
class WorkerIdentity:
    """The process running a job: what a person needs to find it when it is lost."""

    name: str  # Celery node name, e.g. "sam2@gpu-3"
    host: str
    pid: int
    queue: str

    @property
    def label(self) -> str:
        return f"{self.name} (host {self.host}, pid {self.pid}, queue {self.queue})"


def stale_after() -> timedelta:
    """A running job whose heartbeat is older than this lost its worker."""
    return timedelta(seconds=settings.JOB_STALE_AFTER_S)


# ---- create and cancel (request side) -------------------------------------------------------


@transaction.atomic
def job_create(
    *,
    kind: JobKind,
    project: Project,
    created_by: User | None,
    params: dict[str, Any] | None = None,
    video: Video | None = None,
    progress_total: int = 0,
) -> Job:
    """A queued job; its wake-up is sent once the caller's transaction commits (never an
    error for the caller: a wake-up the broker refused is sent later by the recovery loop)."""
    spec_for(kind)  # unknown kinds fail here, not in a worker
    job = Job.objects.create(
        kind=kind,
        project=project,
        video=video,
        params=params or {},
        progress_total=progress_total,
        created_by=created_by,
    )
    _announce(job, Transition.QUEUED, actor_id=created_by.pk if created_by else None)
    transaction.on_commit(lambda: dispatch.send_wakeup(job_id=job.pk))
    return job


@transaction.atomic
def job_cancel(*, job: Job, reason: str = "") -> Job:
    """Stops the job: a queued one never starts, a running one stops at its next progress
    report. Cancelling a finished job changes nothing."""
    locked = _locked(job.pk)
    if locked.is_finished:
        return locked
    locked.cancel_requested = True
    locked.error = reason or locked.error
    locked.save(update_fields=["cancel_requested", "error", "updated_at"])
    if locked.status == JobStatus.QUEUED:
        _end(locked, JobStatus.CANCELLED)
    return locked


# ---- a run (worker side) --------------------------------------------------------------------


@transaction.atomic
def job_claim(*, job_id: int, worker: WorkerIdentity) -> Job | None:
    """The job, now running as a new attempt of this worker; None when it must not run here
    (finished, cancelled, a retry not due yet, or running elsewhere with a live heartbeat)."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_finished:
        return None
    now = timezone.now()
    if (
        job.status == JobStatus.RUNNING
        and job.heartbeat_at
        and now - job.heartbeat_at < stale_after()
    ):
        return None
    if job.status == JobStatus.QUEUED and job.not_before and job.not_before > now:
        return None  # the recovery loop wakes it when due
    if job.cancel_requested:
        _end(job, JobStatus.CANCELLED)
        return None
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.worker, job.worker_host, job.worker_pid = worker.name, worker.host, worker.pid
    job.queue = worker.queue
    job.heartbeat_at = now
    job.started_at = job.started_at or now
    job.not_before = None
    job.save(
        update_fields=[
            "status",
            "attempts",
            "worker",
            "worker_host",
            "worker_pid",
            "queue",
            "heartbeat_at",
            "started_at",
            "not_before",
            "updated_at",
        ]
    )
    _announce(job, Transition.RUNNING, worker=worker.label, attempt=job.attempts)
    return job


def job_heartbeat(*, job_id: int, attempt: int) -> bool:
    """This attempt is alive; False once the job is no longer this attempt's to run."""
    return bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt).update(
            heartbeat_at=timezone.now()
        )
    )


@transaction.atomic
def job_lock_for_run(job: Job) -> Job | None:
    """The job row, locked, while it is still this run's (running, same attempt); else None.
    For a kind's writes that must not outlive their run (e.g. propagated frames)."""
    locked = Job.objects.select_for_update().filter(pk=job.pk).first()
    if locked is None or locked.status != JobStatus.RUNNING or locked.attempts != job.attempts:
        return None
    return locked


@transaction.atomic
def job_progress(
    *,
    job: Job,
    done: int,
    total: int | None = None,
    announce: bool = True,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Records progress (never below what was recorded: a retried run starts over without
    the bar jumping back) and refreshes the heartbeat, in the caller's transaction. Returns
    whether the run should go on (False once cancelled or taken over)."""
    locked = job_lock_for_run(job)
    if locked is None:
        return False
    if total is not None:
        locked.progress_total = total
    locked.progress_done = min(max(done, locked.progress_done), locked.progress_total or done)
    locked.heartbeat_at = timezone.now()
    locked.save(update_fields=["progress_done", "progress_total", "heartbeat_at", "updated_at"])
    job.progress_done, job.progress_total = locked.progress_done, locked.progress_total
    if announce:
        _announce(locked, Transition.PROGRESS, **(payload or {}))
    return not locked.cancel_requested


@transaction.atomic
def job_request_stop(*, job: Job, reason: str) -> None:
    """The run itself found it cannot go on (e.g. every masklet of a propagation was deleted):
    it ends as cancelled with this reason when the run finishes."""
    Job.objects.filter(pk=job.pk).update(
        cancel_requested=True, error=reason, updated_at=timezone.now()
    )


@transaction.atomic
def job_finish(*, job: Job, result: dict[str, Any] | None = None) -> Job | None:
    """Ends this attempt's run: done, or cancelled if that was asked meanwhile. Runs the
    kind's on_done in this transaction. Does nothing (None) if the job is no longer this
    attempt's."""
    locked = job_lock_for_run(job)
    if locked is None:
        return None
    if locked.cancel_requested:
        _end(locked, JobStatus.CANCELLED)
        return locked
    locked.result = result or {}
    if locked.progress_total:
        locked.progress_done = locked.progress_total
    _end(locked, JobStatus.DONE)
    return locked


@transaction.atomic
def job_fail(*, job_id: int, reason: str, attempt: int | None = None) -> Job | None:
    """Fails the job with the reason (and runs the kind's on_failed), unless it already
    finished or, when `attempt` is given, another attempt took it over."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_finished:
        return None
    if attempt is not None and job.attempts != attempt:
        return None
    job.error = reason
    _end(job, JobStatus.FAILED)
    return job


@transaction.atomic
def job_retry_later(*, job: Job, reason: str) -> Job | None:
    """After a transient error (e.g. the database went away): back to the queue, woken by the
    recovery loop after a back-off, or failed once the kind's attempts are used up."""
    locked = job_lock_for_run(job)
    if locked is None:
        return None
    spec = spec_for(locked.kind)
    if locked.attempts >= spec.max_attempts:
        locked.error = f"Gave up after {locked.attempts} attempts; the last one failed: {reason}"
        _end(locked, JobStatus.FAILED)
        return locked
    backoff = timedelta(seconds=settings.JOB_RETRY_BACKOFF_S * locked.attempts)
    _requeue(locked, not_before=timezone.now() + backoff, error=reason)
    return locked


# ---- recovery (recovery.py calls these) -----------------------------------------------------


@transaction.atomic
def job_recover_lost(*, job_id: int) -> Job | None:
    """A running job whose heartbeat stopped: requeued (its saved work stays), or failed with
    the lost worker's name once the kind's attempts are used up. None if it is not lost."""
    job = Job.objects.select_for_update(skip_locked=_skip_locked()).filter(pk=job_id).first()
    if (
        job is None
        or job.status != JobStatus.RUNNING
        or (job.heartbeat_at and timezone.now() - job.heartbeat_at < stale_after())
    ):
        return None
    lost = job.worker_label or "its worker"
    if job.attempts >= spec_for(job.kind).max_attempts:
        job.error = (
            f"{lost} stopped responding; gave up after {job.attempts} attempts. "
            "Work already saved is kept."
        )
        _end(job, JobStatus.FAILED)
    else:
        _requeue(job, lost_worker=lost)
    return job


@transaction.atomic
def job_fail_unclaimed(*, job_id: int, older_than: timedelta) -> Job | None:
    """A job queued for longer than `older_than` that no worker took: failed, saying which
    queue had no worker."""
    job = Job.objects.select_for_update(skip_locked=_skip_locked()).filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return None
    if timezone.now() - job.updated_at < older_than:
        return None
    hours = older_than.total_seconds() / 3600
    job.error = (
        f"No worker took this job within {hours:g} h (queue {job.queue or '?'}); "
        "is a worker for that queue running?"
    )
    _end(job, JobStatus.FAILED)
    return job


# ---- internals --------------------------------------------------------------------------------


def _locked(job_id: int) -> Job:
    return Job.objects.select_for_update().get(pk=job_id)


def _skip_locked() -> bool:
    from django.db import connection

    return bool(connection.features.has_select_for_update_skip_locked)


def _requeue(job: Job, *, not_before=None, lost_worker: str = "", error: str = "") -> None:  # type: ignore[no-untyped-def]
    job.status = JobStatus.QUEUED
    job.enqueued_at = None
    job.not_before = not_before
    job.heartbeat_at = None
    job.save(update_fields=["status", "enqueued_at", "not_before", "heartbeat_at", "updated_at"])
    extra: dict[str, Any] = {"lost_worker": lost_worker} if lost_worker else {}
    _announce(job, Transition.REQUEUED, error_text=error, **extra)
    transaction.on_commit(lambda: dispatch.send_wakeup(job_id=job.pk, if_due=True))


def _end(job: Job, status: str) -> None:
    job.status = status
    job.finished_at = timezone.now()
    job.heartbeat_at = None
    job.save(
        update_fields=[
            "status",
            "error",
            "result",
            "progress_done",
            "finished_at",
            "heartbeat_at",
            "updated_at",
        ]
    )
    spec = spec_for(job.kind)
    if status == JobStatus.DONE:
        spec.on_done(job)
    elif status == JobStatus.FAILED:
        spec.on_failed(job)
    _announce(job, Transition(status))


def _announce(
    job: Job,
    transition: Transition,
    *,
    actor_id: int | None = None,
    error_text: str = "",
    **extra: Any,
) -> None:
    spec = spec_for(job.kind)
    kind = spec.events.get(transition)
    if kind is None:
        return
    event_record(
        project_id=job.project_id,
        video_id=job.video_id,
        kind=kind,
        actor_id=actor_id,
        payload={
            "job": job.pk,
            "job_kind": job.kind,
            "status": job.status,
            "progress_done": job.progress_done,
            "progress_total": job.progress_total,
            "error": error_text or job.error,
            **spec.payload(job),
            **extra,
        },
    )
