"""Wake-ups: the broker messages that tell a worker to claim a job. Never the truth.

A wake-up goes to the queue the job's kind picks (JobKindSpec.route), asked again at every
re-send, so a job can follow the worker that holds its video. Sending never raises: when
the broker cannot take the message the job keeps `enqueued_at` empty and the recovery loop
sends it once the broker is back.
"""

import logging

from django.utils import timezone

from backend.config.celery import app
from backend.jobs.enums import JobStatus
from backend.jobs.models import Job
from backend.jobs.registry import spec_for

logger = logging.getLogger(__name__)


def send_wakeup(*, job_id: int, if_due: bool = True) -> bool:
    """Sends the queued job's wake-up to the queue its kind picks now; True when the broker
    took it. A retry whose back-off has not passed is left for the recovery loop."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return False
    now = timezone.now()
    if if_due and job.not_before and job.not_before > now:
        return False
    spec = spec_for(job.kind)
    try:
        queue = spec.route(job)
        _send(spec.task, job_id=job.pk, queue=queue)
    except Exception:  # noqa: BLE001 -- committed work must never fail on the broker; retried later
        logger.warning(
            "could not send the wake-up of job %s; retrying later", job.pk, exc_info=True
        )
        return False
    Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(enqueued_at=now, queue=queue)
    return True


def _send(task: str, *, job_id: int, queue: str) -> None:
    """By name, so that the web process never imports the worker (nor torch). In eager mode
    (unit tests) a task registered in this process runs inline."""
    if app.conf.task_always_eager and task in app.tasks:
        app.tasks[task].apply(args=[job_id], queue=queue)
        return
    app.send_task(task, args=[job_id], queue=queue)
