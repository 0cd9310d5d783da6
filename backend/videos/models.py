from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.models import BaseModel
from backend.videos.enums import VideoEnvironment, VideoSplit, VideoStatus


class Video(BaseModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="videos")
    name = models.CharField(max_length=255)
    # Storage path of the original file, e.g. "videos/<uuid>/clip.mp4".
    file = models.CharField(max_length=500)
    # Storage folder of the extracted frames: "<frames_prefix>/<frame:06d>.jpg".
    frames_prefix = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64, db_index=True)  # sha256 hex of the original
    size_bytes = models.BigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    fps = models.FloatField()
    frame_count = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VideoStatus.choices, default=VideoStatus.UPLOADED
    )
    status_reason = models.TextField(blank=True)
    progress = models.FloatField(default=0.0)  # 0..1 of frame extraction
    # Dataset attributes set by a manager (or by an SA-V import); blank means unknown.
    environment = models.CharField(
        max_length=16, choices=VideoEnvironment.choices, blank=True, default=""
    )
    split = models.CharField(max_length=16, choices=VideoSplit.choices, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=VideoStatus.values), name="video_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(width__gt=0, height__gt=0), name="video_size_positive"
            ),
            models.CheckConstraint(condition=Q(fps__gt=0), name="video_fps_positive"),
            models.CheckConstraint(condition=Q(size_bytes__gte=0), name="video_size_bytes_gte_0"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="video_progress_in_0_1"
            ),
            models.CheckConstraint(
                condition=Q(environment__in=["", *VideoEnvironment.values]),
                name="video_environment_valid",
            ),
            models.CheckConstraint(
                condition=Q(split__in=["", *VideoSplit.values]), name="video_split_valid"
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="video_project_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == VideoStatus.READY

    def frame_path(self, frame_index: int) -> str:
        return f"{self.frames_prefix}/{frame_index:06d}.jpg"
