from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from backend.common.models import BaseModel
from backend.jobs.enums import JobKind
from backend.jobs.models import Job, JobKindManager
from backend.masklets.enums import Direction, FrameOrigin, MaskletSource, MaskletStatus


class Masklet(BaseModel):
    """One object's masks across the frames of a video."""

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="masklets")
    # The assignment it was made in; annotators edit only masklets of their own tasks.
    task = models.ForeignKey(
        "projects.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="masklets"
    )
    label = models.ForeignKey(
        "projects.Label", on_delete=models.SET_NULL, null=True, blank=True, related_name="masklets"
    )
    name = models.CharField(max_length=100, blank=True)
    color = models.CharField(max_length=7, default="#1f77b4")
    source = models.CharField(
        max_length=16, choices=MaskletSource.choices, default=MaskletSource.MANUAL
    )
    status = models.CharField(
        max_length=16, choices=MaskletStatus.choices, default=MaskletStatus.DRAFT
    )
    # Optimistic locking: every write states the version it read; a stale one gets 409.
    version = models.PositiveIntegerField(default=1)
    # How many times it was submitted for verification (0 = never); verdicts count per round.
    review_round = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A manager's reference masklet: annotators' work on the video is scored against it.
    is_ground_truth = models.BooleanField(default=False)
    # Consensus mode: another annotator's version of this object was chosen instead.
    consensus_discarded = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=MaskletSource.values), name="masklet_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MaskletStatus.values), name="masklet_status_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="masklet_version_gte_1"),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="masklet_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"Masklet {self.pk}"

    @property
    def is_editable(self) -> bool:
        """Masks change only while a masklet is with its annotator, not under review."""
        return self.status in (
            MaskletStatus.DRAFT,
            MaskletStatus.REJECTED,
            MaskletStatus.REWORKED,
        )


class MaskletFrame(BaseModel):
    """The mask of one masklet on one frame, as COCO compressed RLE."""

    masklet = models.ForeignKey(Masklet, on_delete=models.CASCADE, related_name="frames")
    frame_index = models.PositiveIntegerField()
    rle = models.JSONField()  # {"size": [height, width], "counts": "<compressed>"}
    area = models.PositiveIntegerField()  # foreground pixels
    bbox = models.JSONField()  # [x, y, width, height] in pixels (COCO)
    origin = models.CharField(max_length=16, choices=FrameOrigin.choices)
    score = models.FloatField(null=True, blank=True)  # model's object score, when it made it

    class Meta:
        ordering = ["masklet_id", "frame_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["masklet", "frame_index"], name="maskletframe_unique_masklet_frame"
            ),
            models.CheckConstraint(
                condition=Q(frame_index__gte=0), name="maskletframe_frame_index_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=FrameOrigin.values), name="maskletframe_origin_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masklet_id}@{self.frame_index}"


class Prompt(BaseModel):
    """Points and/or a box given on one frame. Replaying a masklet's prompts rebuilds its state."""

    masklet = models.ForeignKey(Masklet, on_delete=models.CASCADE, related_name="prompts")
    frame_index = models.PositiveIntegerField()
    # [[x, y, label], ...] with x, y normalised to [0, 1] and label 1 (positive) or 0 (negative).
    points = models.JSONField(default=list, blank=True)
    # [x0, y0, x1, y1] normalised to [0, 1], or null.
    box = models.JSONField(null=True, blank=True)
    # Position in the masklet's prompt sequence, starting at 1.
    order = models.PositiveIntegerField()
    # Drop earlier prompts on this frame before applying this one (SAM 2's clear_old_points).
    clear_old = models.BooleanField(default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["masklet_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["masklet", "order"], name="prompt_unique_masklet_order"
            ),
            models.CheckConstraint(
                condition=Q(frame_index__gte=0), name="prompt_frame_index_gte_0"
            ),
            models.CheckConstraint(condition=Q(order__gte=1), name="prompt_order_gte_1"),
        ]

    def __str__(self) -> str:
        return f"Prompt {self.order} of masklet {self.masklet_id}"


class PropagationMasklet(models.Model):
    """A masklet a propagation job spreads. Deleting the masklet deletes this link: the job
    goes on with the others (and stops, saying why, when none is left)."""

    job = models.ForeignKey(
        "jobs.Job", on_delete=models.CASCADE, related_name="propagation_masklets"
    )
    masklet = models.ForeignKey(Masklet, on_delete=models.CASCADE, related_name="propagations")

    class Meta:
        ordering = ["job_id", "masklet_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "masklet"], name="propagationmasklet_unique_job_masklet"
            )
        ]

    def __str__(self) -> str:
        return f"Masklet {self.masklet_id} in propagation {self.job_id}"


class PropagationJob(Job):
    """A job of kind propagation, with its parameters as attributes (PropagationParams)."""

    objects = JobKindManager(JobKind.PROPAGATION)

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.kind = JobKind.PROPAGATION
        super().save(*args, **kwargs)

    @property
    def masklets(self) -> QuerySet[Masklet]:
        return Masklet.objects.filter(propagations__job_id=self.pk)

    @property
    def start_frame(self) -> int:
        return int(self.params["start_frame"])

    @property
    def direction(self) -> str:
        return str(self.params.get("direction", Direction.FORWARD))

    @property
    def frame_start(self) -> int:
        return int(self.params.get("frame_start", 0))

    @property
    def frame_end(self) -> int | None:
        end = self.params.get("frame_end")
        return None if end is None else int(end)

    @property
    def overwrite(self) -> bool:
        return bool(self.params.get("overwrite", False))

    @property
    def frames_done(self) -> int:
        return self.progress_done

    @property
    def frames_total(self) -> int:
        return self.progress_total
