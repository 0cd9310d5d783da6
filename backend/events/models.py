from django.conf import settings
from django.db import models


class Event(models.Model):
    """Append-only log of what happened, written in the transaction of the change it announces.

    Clients follow it by id (`?after=`), so a reconnecting client misses nothing.
    """

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="events")
    # SET_NULL: the project's log outlives a deleted video.
    video = models.ForeignKey(
        "videos.Video", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=64)  # "<entity>.<what happened>", e.g. "video.ready"
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["project", "id"], name="event_project_id_idx"),
            models.Index(fields=["video", "id"], name="event_video_id_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are append-only; they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("Events are append-only; they are never deleted.")
