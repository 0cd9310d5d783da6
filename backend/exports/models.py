from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import BaseModel
from backend.exports.enums import ExportFormat, ExportStatus, ImportFormat


class ExportJob(BaseModel):
    """A dataset export of a project, built in the background into a zip in storage."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="export_jobs"
    )
    format = models.CharField(max_length=16, choices=ExportFormat.choices)
    # Filters, frozen when the job is created. Empty lists mean "all".
    include_unaccepted = models.BooleanField(default=False)
    label_ids = models.JSONField(default=list, blank=True)
    video_ids = models.JSONField(default=list, blank=True)
    # Export frames 0, step, 2*step, ... (SA-V annotates every 4th frame of 24 fps video).
    frame_step = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)  # 0..1
    error = models.TextField(blank=True)
    # Storage path of the finished zip, e.g. "exports/<project>/<job>-sav.zip".
    file = models.CharField(max_length=500, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    # What the finished export reports: {"warnings": [...], "warning_count": n} (the same
    # warnings as the zip's warnings.txt, e.g. objects hidden by an older overlapping one).
    result = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values), name="exportjob_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="exportjob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(frame_step__gte=1), name="exportjob_frame_step_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="exportjob_progress_in_0_1"
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="exportjob_project_status_idx")]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format}, {self.status})"

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)


class ImportedMasklet(BaseModel):
    """Where an imported masklet came from, and the source's fields that its masks cannot
    reproduce (e.g. SA-V's video_environment or masklet_edited_frame_count), so that an
    export of an untouched import gives the source's values back."""

    masklet = models.OneToOneField(
        "masklets.Masklet", on_delete=models.CASCADE, related_name="imported_from"
    )
    format = models.CharField(max_length=16, choices=ImportFormat.choices)
    file_name = models.CharField(max_length=255, blank=True)
    # The object's id in the source (SA-V masklet_id, DAVIS palette index, YTVIS annotation id).
    source_object_id = models.CharField(max_length=64)
    attributes = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=ImportFormat.values), name="importedmasklet_format_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masklet_id} from {self.format} {self.file_name}#{self.source_object_id}"
