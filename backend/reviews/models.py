from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import BaseModel
from backend.masklets.enums import MaskletStatus
from backend.reviews.enums import AssignmentStatus, StatusAction, Verdict


class MaskletStatusChange(BaseModel):
    """One step of a masklet's workflow history; never changed afterwards."""

    masklet = models.ForeignKey(
        "masklets.Masklet", on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, choices=MaskletStatus.choices)
    to_status = models.CharField(max_length=16, choices=MaskletStatus.choices)
    action = models.CharField(max_length=16, choices=StatusAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(blank=True)
    # A manager set the status by hand instead of the workflow.
    override = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=MaskletStatus.values),
                name="statuschange_from_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=MaskletStatus.values),
                name="statuschange_to_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(action__in=StatusAction.values), name="statuschange_action_valid"
            ),
        ]
        indexes = [models.Index(fields=["masklet", "id"], name="statuschange_masklet_idx")]

    def __str__(self) -> str:
        return f"{self.masklet_id}: {self.from_status} -> {self.to_status}"


class Review(BaseModel):
    """One reviewer's verdict on one round (submission) of a masklet."""

    masklet = models.ForeignKey(
        "masklets.Masklet", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="reviews"
    )
    round = models.PositiveIntegerField()
    # The masklet's version the verdict was given on.
    masklet_version = models.PositiveIntegerField()
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["masklet", "reviewer", "round"], name="review_unique_masklet_reviewer_round"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="review_verdict_valid"
            ),
            models.CheckConstraint(condition=Q(round__gte=1), name="review_round_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} on {self.masklet_id} (round {self.round})"


class ReviewComment(BaseModel):
    """A remark pinned to a frame (and optionally a point) of a masklet."""

    masklet = models.ForeignKey(
        "masklets.Masklet", on_delete=models.CASCADE, related_name="review_comments"
    )
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    frame_index = models.PositiveIntegerField()
    # The point, normalised to [0, 1]; both null when the comment is about the whole frame.
    x = models.FloatField(null=True, blank=True)
    y = models.FloatField(null=True, blank=True)
    text = models.TextField()
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(x__isnull=True) & Q(y__isnull=True))
                | (Q(x__gte=0) & Q(x__lte=1) & Q(y__gte=0) & Q(y__lte=1)),
                name="reviewcomment_point_normalised",
            ),
        ]
        indexes = [models.Index(fields=["masklet", "id"], name="reviewcomment_masklet_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.masklet_id}@{self.frame_index}"


class ReviewAssignment(BaseModel):
    """A reviewer's lease on one submitted masklet, handed out by the review queue."""

    masklet = models.ForeignKey(
        "masklets.Masklet", on_delete=models.CASCADE, related_name="review_assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    round = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    claimed_at = models.DateTimeField()
    # Renewed by the reviewer's client; once past, the next claim frees the masklet.
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            # The final guard of the queue: two reviewers never hold one masklet at once.
            models.UniqueConstraint(
                fields=["masklet"],
                condition=Q(status=AssignmentStatus.ACTIVE),
                name="reviewassignment_one_active_per_masklet",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values),
                name="reviewassignment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["reviewer", "status"], name="reviewassignment_reviewer_idx"),
            models.Index(fields=["status", "expires_at"], name="reviewassignment_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.pk} of {self.masklet_id} to {self.reviewer_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == AssignmentStatus.ACTIVE
