from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import BaseModel
from backend.exports.enums import ImportFormat
from backend.jobs.enums import JobKind, JobStatus
from backend.jobs.models import Job, JobKindManager

# Export progress is counted in 1/EXPORT_PROGRESS_TOTAL of the whole.
EXPORT_PROGRESS_TOTAL = 10_000


class ExportJob(Job):
    """A job of kind export: a project's dataset built into a zip in storage. Its filters
    are its params (ExportParams), frozen at creation; its zip is its result (ExportResult)."""

    objects = JobKindManager(JobKind.EXPORT)

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.kind = JobKind.EXPORT
        super().save(*args, **kwargs)

    @property
    def format(self) -> str:
        return str(self.params["format"])

    @property
    def include_unaccepted(self) -> bool:
        return bool(self.params.get("include_unaccepted", False))

    @property
    def label_ids(self) -> list[int]:
        return list(self.params.get("label_ids", []))

    @property
    def video_ids(self) -> list[int]:
        return list(self.params.get("video_ids", []))

    @property
    def frame_step(self) -> int:
        return int(self.params.get("frame_step", 1))

    @property
    def progress(self) -> float:
        """0..1"""
        return round(self.progress_done / (self.progress_total or EXPORT_PROGRESS_TOTAL), 4)

    @property
    def file(self) -> str:
        """Storage path of the finished zip, e.g. "exports/<project>/export-<job>-sav.zip"."""
        return str(self.result.get("file", ""))

    @property
    def size_bytes(self) -> int:
        return int(self.result.get("size_bytes", 0))

    @property
    def is_downloadable(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.file)


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
