from typing import Any

from django.db import models

from backend.common.models import BaseModel
from backend.jobs.enums import JobKind
from backend.jobs.models import Job, JobKindManager


class AutoMaskJob(Job):
    """A job of kind automask, with its parameters as attributes (services.AutomaskParams)."""

    objects = JobKindManager(JobKind.AUTOMASK)

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.kind = JobKind.AUTOMASK
        super().save(*args, **kwargs)

    @property
    def key_frames(self) -> list[int]:
        return [int(f) for f in self.params["key_frames"]]

    @property
    def generator_settings(self) -> dict[str, Any]:
        return dict(self.params["settings"])

    @property
    def max_masklets(self) -> int:
        return int(self.params["max_masklets"])

    @property
    def dedup_iou(self) -> float:
        return float(self.params["dedup_iou"])

    @property
    def objects_per_batch(self) -> int:
        return int(self.params["objects_per_batch"])


class AutoKeyFrame(BaseModel):
    """A key frame of an auto-annotation job whose masks were generated (written with its
    proposals in one transaction: a resumed run skips it)."""

    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="auto_key_frames")
    frame_index = models.PositiveIntegerField()
    # Masks the generator gave; those covered by an existing masklet or an earlier proposal
    # (IoU above the job's threshold); those left out by the job's cap on masklets.
    generated = models.PositiveIntegerField()
    duplicates = models.PositiveIntegerField()
    over_cap = models.PositiveIntegerField()
    generate_s = models.FloatField()

    class Meta:
        ordering = ["job_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "frame_index"], name="autokeyframe_unique_job_frame"
            )
        ]

    def __str__(self) -> str:
        return f"Key frame {self.frame_index} of job {self.job_id}"


class AutoProposal(BaseModel):
    """An auto masklet as the generator proposed it; outlives the masklet for QA counts.

    The masklet's SAM 2 input is its mask as a MASK entry on ``key_frame`` in the video's
    action log; it is then propagated through the video and submitted for verification."""

    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="auto_proposals")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="auto_proposals"
    )
    masklet = models.OneToOneField(
        "masklets.Masklet",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="auto_proposal",
    )
    key_frame = models.PositiveIntegerField()
    # The generator's record of the mask (SAM2AutomaticMaskGenerator semantics).
    predicted_iou = models.FloatField()
    stability_score = models.FloatField()
    point = models.JSONField()  # [x, y] prompt in video pixels
    area = models.PositiveIntegerField()
    bbox = models.JSONField()  # [x, y, w, h] in pixels
    # Propagated through the video and submitted for verification.
    submitted_at = models.DateTimeField(null=True, blank=True)
    # An unsatisfactory verdict turned it into a manual masklet in this task.
    rejected_at = models.DateTimeField(null=True, blank=True)
    correction_task = models.ForeignKey(
        "projects.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["job", "key_frame"], name="autoproposal_job_frame_idx"),
            models.Index(fields=["project", "rejected_at"], name="autoproposal_project_idx"),
        ]

    def __str__(self) -> str:
        return f"Auto proposal {self.pk} (masklet {self.masklet_id})"
