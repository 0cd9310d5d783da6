from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.quality.enums import ScoreKind

# Longest stretch of activity one report may carry; the workspace reports in batches.
ACTIVITY_MAX_SECONDS = 300


class ActivityRecord(models.Model):
    """Seconds of active annotating a user's workspace reported for one video (append-only)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_records"
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="activity_records"
    )
    video = models.ForeignKey(
        "videos.Video", on_delete=models.CASCADE, related_name="activity_records"
    )
    seconds = models.PositiveSmallIntegerField()
    # The frame the user was on when the batch was sent, when the client knows it.
    frame_index = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seconds__gte=1) & Q(seconds__lte=ACTIVITY_MAX_SECONDS),
                name="activityrecord_seconds_range",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "user", "created_at"], name="activity_project_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.seconds}s on video {self.video_id}"


class VideoScoreCache(models.Model):
    """Consensus or ground-truth scores of one video, valid while ``key`` (a digest of the
    video's masklets: id, version, task, annotator, ground-truth flag) still matches.

    Computing them decodes every mask of the video, so they are computed on request and kept
    here; any mask change bumps a masklet's version and so invalidates the row."""

    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ScoreKind.choices)
    key = models.CharField(max_length=64)
    data = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["video", "kind"], name="videoscorecache_unique_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=ScoreKind.values), name="videoscorecache_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} scores of video {self.video_id}"
