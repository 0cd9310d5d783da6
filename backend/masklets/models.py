from django.conf import settings
from django.db import models
from django.db.models import F, Q

from backend.common.models import BaseModel
from backend.masklets.enums import (
    ActionKind,
    ActionState,
    Direction,
    FrameOrigin,
    JobStatus,
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


class PropagationJob(BaseModel):
    """Spreading masklets from their prompts across a video's frames, in the background."""

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="jobs")
    masklets = models.ManyToManyField(Masklet, related_name="jobs")
    start_frame = models.PositiveIntegerField()
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.FORWARD
    )
    # Frames [frame_start, frame_end) the job may write; null end = the video's last frame.
    frame_start = models.PositiveIntegerField(default=0)
    frame_end = models.PositiveIntegerField(null=True, blank=True)
    # Frames a person edited (origin click/edited) are kept unless this is set.
    overwrite = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    frames_total = models.PositiveIntegerField(default=0)
    frames_done = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    # Refreshed by the running worker; a running job whose heartbeat stops is recovered.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="job_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(frame_end__isnull=True) | Q(frame_end__gt=F("frame_start")),
                name="job_frame_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(frames_done__lte=F("frames_total")) | Q(frames_total=0),
                name="job_progress_within_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_idx")]

    def __str__(self) -> str:
        return f"Propagation {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


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
