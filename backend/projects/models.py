from django.conf import settings
from django.db import models
from django.db.models import F, Q

from backend.common.models import BaseModel
from backend.projects.enums import Role, TaskStage


class Project(BaseModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True)
    # Annotate every Nth frame (SA-V annotates every 4th frame of 24 fps video).
    frame_step = models.PositiveIntegerField(default=1)
    # Satisfactory verdicts a masklet needs before it counts as accepted.
    verifications_required = models.PositiveIntegerField(default=1)
    # Annotators labelling each video independently in consensus mode (1 = off).
    consensus_k = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(frame_step__gte=1), name="project_frame_step_gte_1"),
            models.CheckConstraint(
                condition=Q(verifications_required__gte=1),
                name="project_verifications_required_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(consensus_k__gte=1), name="project_consensus_k_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="membership_unique_project_user"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in {self.project}"


class Label(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#1f77b4")  # "#rrggbb"
    # Position in the project's label list (the workspace's label picker shows them so).
    order = models.IntegerField(default=0)
    # Digit key 1-9 that picks the label in the workspace; null when it has none.
    hotkey = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="label_unique_project_name"),
            models.UniqueConstraint(
                fields=["project", "hotkey"],
                condition=Q(hotkey__isnull=False),
                name="label_unique_project_hotkey",
            ),
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="label_color_hex"
            ),
            models.CheckConstraint(
                condition=Q(hotkey__isnull=True) | Q(hotkey__gte=1, hotkey__lte=9),
                name="label_hotkey_1_to_9",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Task(BaseModel):
    """The unit of assignment: a video (or a frame range of it) given to one annotator."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    stage = models.CharField(max_length=16, choices=TaskStage.choices, default=TaskStage.ANNOTATION)
    frame_start = models.PositiveIntegerField(default=0)
    # Exclusive end; null means up to the video's last frame.
    frame_end = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=TaskStage.values), name="task_stage_valid"
            ),
            models.CheckConstraint(condition=Q(frame_start__gte=0), name="task_frame_start_gte_0"),
            models.CheckConstraint(
                condition=Q(frame_end__isnull=True) | Q(frame_end__gt=F("frame_start")),
                name="task_frame_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk} on {self.video_id}"
