from django.db import models


class JobKind(models.TextChoices):
    PROPAGATION = "propagation", "Propagation"
    EXPORT = "export", "Export"
    INGEST = "ingest", "Video ingest"
    AUTOMASK = "automask", "Auto-annotation"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class Transition(models.TextChoices):
    """What a job's events announce (each kind names its own event for each)."""

    QUEUED = "queued"
    RUNNING = "running"
    PROGRESS = "progress"
    REQUEUED = "requeued"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
