"""Shared steps of the review tests: masks, submitting, claiming, verdicts through the API."""

from datetime import timedelta

import numpy as np
from django.utils import timezone

from backend.accounts.models import User
from backend.common import rle
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import ReviewAssignment, ReviewComment
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory, MembershipFactory, UserFactory


def mask_rle(team: Team, x0: int = 0, x1: int = 10) -> dict:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[5:20, x0:x1] = 1
    return rle.encode(mask)


def add_frame(team: Team, masklet: Masklet, frame_index: int = 0) -> MaskletFrame:
    """A mask row written directly (no version bump), as if annotated earlier."""
    encoded = mask_rle(team)
    return MaskletFrame.objects.create(
        masklet=masklet,
        frame_index=frame_index,
        rle=encoded,
        area=rle.area(encoded),
        bbox=rle.bbox(encoded),
        origin="edited",
    )


def new_member(project: Project, role: str, username: str) -> User:
    return MembershipFactory(project=project, role=role, user=UserFactory(username=username)).user


def new_reviewer(team: Team, username: str = "reviewer2") -> User:
    return new_member(team.project, Role.REVIEWER, username)


def annotated_masklet(team: Team, name: str = "") -> Masklet:
    """A draft masklet in the annotator's task with a mask on frame 0."""
    masklet = MaskletFactory(video=team.video, task=team.task, created_by=team.annotator)
    if name:
        masklet.name = name
        masklet.save(update_fields=["name"])
    add_frame(team, masklet)
    return masklet


def submit(team: Team, masklet: Masklet, user: User | None = None):  # type: ignore[no-untyped-def]
    masklet.refresh_from_db()
    return client_for(user or team.annotator).post(
        f"/api/v1/masklets/{masklet.pk}/submit/", {"version": masklet.version}, format="json"
    )


def claim(team: Team, user: User):  # type: ignore[no-untyped-def]
    return client_for(user).post(f"/api/v1/projects/{team.project.pk}/review-queue/next/")


def verdict(user: User, assignment_id: int, **body):  # type: ignore[no-untyped-def]
    return client_for(user).post(
        f"/api/v1/review-assignments/{assignment_id}/verdict/", body, format="json"
    )


def expire(assignment_id: int) -> None:
    """The lease ran out a minute ago (as if the reviewer closed the tab)."""
    ReviewAssignment.objects.filter(pk=assignment_id).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def force_assignment(masklet: Masklet, reviewer: User) -> ReviewAssignment:
    """An active lease created directly, bypassing the queue's checks."""
    masklet.refresh_from_db()
    now = timezone.now()
    return ReviewAssignment.objects.create(
        masklet=masklet,
        reviewer=reviewer,
        round=masklet.review_round,
        status=AssignmentStatus.ACTIVE,
        claimed_at=now,
        expires_at=now + timedelta(minutes=15),
    )


# Set-ups for the permission matrix in tests/backend/test_permissions.py: each prepares the
# state an endpoint needs and returns the request body.


def matrix_submittable(team: Team) -> dict:
    add_frame(team, team.masklet)
    return {"version": team.masklet.version}


def matrix_submitted(team: Team) -> dict:
    add_frame(team, team.masklet)
    Masklet.objects.filter(pk=team.masklet.pk).update(
        status="submitted", review_round=1, submitted_at=timezone.now()
    )
    return {}


def matrix_assignment(team: Team, body: dict | None = None) -> dict:
    """The team's masklet, submitted and held by the team's reviewer."""
    matrix_submitted(team)
    force_assignment(team.masklet, team.reviewer)
    return body or {}


def matrix_comment(team: Team) -> dict:
    ReviewComment.objects.create(
        masklet=team.masklet, author=team.reviewer, frame_index=0, text="Edge is off"
    )
    return {}


def latest_assignment_id() -> int:
    return ReviewAssignment.objects.latest("id").pk


def latest_comment_id() -> int:
    return ReviewComment.objects.latest("id").pk
