from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet

from backend.common.models import BaseModel
from backend.jobs.enums import JobKind
from backend.jobs.models import Job, JobKindManager
from backend.masklets.enums import (
    ActionKind,
    ActionState,
    Direction,
    FrameOrigin,
    MaskletSource,
    MaskletStatus,
)


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
    def until_agreement(self) -> bool:
        return bool(self.params.get("until_agreement", False))

    @property
    def stops(self) -> list[dict[str, Any]]:
        """Where each pass of an `until_agreement` run stopped (the run's result)."""
        return list(self.result.get("stops", []))

    @property
    def frames_done(self) -> int:
        return self.progress_done

    @property
    def frames_total(self) -> int:
        return self.progress_total


class SessionLog(models.Model):
    """The head of a video's SAM 2 action log: the last sequence number handed out.

    Appending takes this row's lock (an UPDATE) until the transaction commits, so a video's
    actions are numbered in commit order and a reader never sees a later number before an
    earlier one.
    """

    video = models.OneToOneField(
        "videos.Video", on_delete=models.CASCADE, primary_key=True, related_name="session_log"
    )
    head = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"SAM 2 log of video {self.video_id} at {self.head}"


class SessionAction(models.Model):
    """One entry of a video's SAM 2 action log.

    The log defines the video's one SAM 2 state: replaying its entries in ``seq`` order
    (skipping abandoned and undone ones, and the UNDO entries themselves) in one session gives
    exactly the state the worker holding the video has.
    """

    id = models.BigAutoField(primary_key=True)
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="actions")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    state = models.CharField(
        max_length=16, choices=ActionState.choices, default=ActionState.PENDING
    )
    # The SAM 2 object (a masklet id, kept as a plain number: the log outlives the masklet).
    # Null for PROPAGATE, whose objects are in ``object_ids``.
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # PROPAGATE: the objects tracked, in the order they were given.
    object_ids = models.JSONField(default=list, blank=True)
    frame_index = models.PositiveIntegerField(null=True, blank=True)
    # PROPAGATE: the last frame tracked so far (inclusive); grows while the entry is the last.
    frame_last = models.PositiveIntegerField(null=True, blank=True)
    reverse = models.BooleanField(default=False)
    # PROMPT: {"points": [[x, y, label]...], "box": [x0, y0, x1, y1] | null, "clear_old": bool}
    # (normalised to [0, 1]); MASK: {"rle": {...}} at video size; UNDO: {"target": seq};
    # PROPAGATE: {"job": id}.
    payload = models.JSONField(default=dict, blank=True)
    prompt = models.ForeignKey(
        Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["video", "seq"], name="sessionaction_unique_video_seq"),
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="sessionaction_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ActionState.values), name="sessionaction_state_valid"
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="sessionaction_seq_gte_1"),
        ]
        indexes = [
            models.Index(fields=["video", "object_id", "seq"], name="sessionaction_object_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} of video {self.video_id}"

    @property
    def counts(self) -> bool:
        """Part of the state (abandoned and undone entries, and UNDO markers, are not)."""
        return self.kind != ActionKind.UNDO and self.state in (
            ActionState.PENDING,
            ActionState.APPLIED,
        )
