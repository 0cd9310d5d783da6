from django.conf import settings
from django.db import models
from django.db.models import F, Q

from backend.common.models import BaseModel
from backend.jobs.enums import FINISHED, JobKind, JobStatus


class Job(BaseModel):
    """Background work of any kind (propagation, export, ingest, automask): the row is the
    truth about it; a broker message only wakes a worker up to claim it (services.py)."""

    kind = models.CharField(max_length=16, choices=JobKind.choices)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="jobs")
    video = models.ForeignKey(
        "videos.Video", on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # What to do, typed per kind (e.g. masklets.propagation.PropagationParams).
    params = models.JSONField(default=dict, blank=True)
    # What it made, typed per kind (e.g. an export's file).
    result = models.JSONField(default=dict, blank=True)
    # Progress in the kind's unit (frames, or 1/10000 of an export); never goes back.
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # Why it failed (or was cancelled by something other than a person).
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Runs started; the run that claimed it last is attempt number `attempts`.
    attempts = models.PositiveIntegerField(default=0)
    # Where its last wake-up went, and when; null: none sent since it was (re)queued, so the
    # recovery loop sends one (the broker was down, or the process died before sending).
    queue = models.CharField(max_length=200, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # A retry after a transient error waits until then.
    not_before = models.DateTimeField(null=True, blank=True)
    # The run holding it: Celery node name, host and process id.
    worker = models.CharField(max_length=200, blank=True)
    worker_host = models.CharField(max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    # Refreshed by the running process; a running job whose heartbeat stops is recovered.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=JobKind.values), name="job_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_is_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")) | Q(progress_total=0),
                name="job_progress_done_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_ix"),
            models.Index(fields=["project", "kind", "status"], name="job_project_kind_ix"),
            models.Index(fields=["video", "kind"], name="job_video_kind_ix"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def worker_label(self) -> str:
        """Who runs (or ran) it, as people need it to find a lost worker."""
        if not self.worker:
            return ""
        return (
            f"{self.worker} (host {self.worker_host or '?'}, pid {self.worker_pid or '?'}, "
            f"queue {self.queue or '?'})"
        )


class JobKindManager(models.Manager):
    """The jobs of one kind (the default manager of a kind's proxy model)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return super().get_queryset().filter(kind=self.kind)
