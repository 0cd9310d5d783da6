from django.conf import settings
from django.db import models
from django.db.models import Q


class Event(models.Model):
    """Append-only log of what happened, written in the transaction of the change it announces.

    Clients follow it by `seq`, its position in the log (`?after=<seq>`), given once the
    transaction committed (services.events_sequence): positions grow in the order events
    became visible, so a client that read up to a position never misses an event that
    commits later. The id, taken at insert, does not have that property.
    """

    id = models.BigAutoField(primary_key=True)
    # Null until the writing transaction committed and the sequencer gave it a position.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
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
            models.Index(fields=["project", "seq"], name="event_project_seq_idx"),
            models.Index(fields=["video", "seq"], name="event_video_seq_idx"),
            # What the sequencer looks for after every commit: a handful of rows.
            models.Index(
                fields=["id"], condition=Q(seq__isnull=True), name="event_unsequenced_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are append-only; they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("Events are append-only; they are never deleted.")


class EventSequence(models.Model):
    """One row: the last position given to an event. Its row lock makes sequencers take
    turns, so positions become visible in the order they were given."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="eventsequence_one_row")]

    def __str__(self) -> str:
        return f"Event positions up to {self.last}"
