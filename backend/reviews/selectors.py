"""Reads of the review workflow: history, verdicts, comments, the queue, project masklets."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from backend.masklets.selectors import masklet_frame_count, masklet_hidden_from
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.projects.permissions import membership_require
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import MaskletStatusChange, Review, ReviewAssignment, ReviewComment

REVIEWER_ROLES: tuple[str, ...] = (Role.REVIEWER, Role.MANAGER)


def masklet_annotator_id(masklet: Masklet) -> int | None:
    """The masklet's annotator: its task's assignee, or whoever made it outside a task."""
    if masklet.task_id is not None:
        return masklet.task.assignee_id
    return masklet.created_by_id


def annotated_by(user_id: int, prefix: str = "") -> Q:
    """Masklets whose annotator (as masklet_annotator_id defines it) is the user."""
    return Q(**{f"{prefix}task__isnull": False, f"{prefix}task__assignee_id": user_id}) | Q(
        **{f"{prefix}task__isnull": True, f"{prefix}created_by_id": user_id}
    )


def masklet_status_change_list(*, masklet: Masklet) -> QuerySet[MaskletStatusChange]:
    return (
        MaskletStatusChange.objects.filter(masklet=masklet).select_related("actor").order_by("id")
    )


def review_list(*, masklet: Masklet) -> QuerySet[Review]:
    return Review.objects.filter(masklet=masklet).select_related("reviewer").order_by("id")


def review_comment_list(*, masklet: Masklet) -> QuerySet[ReviewComment]:
    return ReviewComment.objects.filter(masklet=masklet).select_related("author").order_by("id")


def review_comment_get_for_resolve(
    *, user: User, masklet_id: int, comment_id: int
) -> ReviewComment:
    """The comment if the user may mark it resolved: the masklet's annotator or a manager."""
    comment = (
        ReviewComment.objects.select_related("masklet__video__project", "masklet__task", "author")
        .filter(pk=comment_id, masklet_id=masklet_id)
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    membership = membership_require(user=user, project_id=comment.masklet.video.project_id)
    if masklet_hidden_from(masklet=comment.masklet, user=user, role=membership.role):
        raise Http404("No such comment.")
    if membership.role != Role.MANAGER and masklet_annotator_id(comment.masklet) != user.pk:
        raise PermissionDenied(
            "Only the masklet's annotator or a project manager can resolve its comments."
        )
    return comment


def masklet_with_frame_count(*, masklet_id: int) -> Masklet:
    return (
        Masklet.objects.select_related("video", "task")
        .annotate(frame_count=masklet_frame_count())
        .get(pk=masklet_id)
    )


def review_assignment_get_for_user(
    *,
    user: User,
    assignment_id: int,
    allow_manager: bool = False,
    lock: bool = False,
    reviewing: bool = False,
) -> ReviewAssignment:
    """The assignment if it is the user's (or, with allow_manager, the user manages its
    project). With `reviewing` (a verdict, a renewal) the user must also still be a reviewer
    or manager of the project: a reviewer made annotator keeps no say over the lease they
    held. Non-members get 404, other members 403."""
    queryset = ReviewAssignment.objects.select_related("masklet__video__project", "masklet__task")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    assignment = queryset.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404("No such review assignment.")
    membership = membership_require(user=user, project_id=assignment.masklet.video.project_id)
    if reviewing and membership.role not in REVIEWER_ROLES:
        raise PermissionDenied(
            f"Your role in this project is now {membership.role}; only reviewers and managers "
            "verify masklets."
        )
    if assignment.reviewer_id == user.pk:
        return assignment
    if allow_manager and membership.role == Role.MANAGER:
        return assignment
    raise PermissionDenied("This review assignment belongs to another reviewer.")


def _live_assignment(now: datetime) -> Exists:
    """A masklet (the outer row) held by a reviewer whose lease has not run out."""
    return Exists(
        ReviewAssignment.objects.filter(
            masklet=OuterRef("pk"), status=AssignmentStatus.ACTIVE, expires_at__gte=now
        )
    )


def review_candidates(*, project: Project, reviewer: User) -> QuerySet[Masklet]:
    """Submitted masklets the reviewer may verify next, oldest submission first: not held by
    anyone (expired leases are freed before this is read), not annotated by the reviewer,
    not already judged by them in the current round, not discarded in consensus."""
    judged = Review.objects.filter(
        masklet=OuterRef("pk"), reviewer_id=reviewer.pk, round=OuterRef("review_round")
    )
    held = ReviewAssignment.objects.filter(masklet=OuterRef("pk"), status=AssignmentStatus.ACTIVE)
    return (
        Masklet.objects.filter(
            video__project=project, status=MaskletStatus.SUBMITTED, consensus_discarded=False
        )
        .exclude(annotated_by(reviewer.pk))
        .exclude(Exists(judged))
        .exclude(Exists(held))
        .order_by("submitted_at", "id")
    )


def review_candidate_next(
    *, project: Project, reviewer: User, exclude: list[int]
) -> tuple[int, int] | None:
    """(id, review_round) of the first candidate not in `exclude`, row-locked on databases
    that can. Rows another claimer holds are skipped (SKIP LOCKED), so concurrent reviewers
    walk past each other instead of queueing up; only this one row is locked, so that the
    next claimer gets the next masklet."""
    candidates = review_candidates(project=project, reviewer=reviewer).exclude(pk__in=exclude)
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return candidates.values_list("pk", "review_round").first()


@dataclass(frozen=True)
class QueueSummary:
    waiting: int
    in_review: int
    my_assignment: ReviewAssignment | None


def review_queue_summary(*, project: Project, user: User) -> QueueSummary:
    """waiting: masklets this user could claim now (leases that ran out count as free);
    in_review: submitted masklets a reviewer holds a live lease on."""
    now = timezone.now()
    judged = Review.objects.filter(
        masklet=OuterRef("pk"), reviewer_id=user.pk, round=OuterRef("review_round")
    )
    submitted = Masklet.objects.filter(
        video__project=project, status=MaskletStatus.SUBMITTED, consensus_discarded=False
    ).annotate(live=_live_assignment(now))
    waiting = (
        submitted.filter(live=False).exclude(annotated_by(user.pk)).exclude(Exists(judged)).count()
    )
    in_review = submitted.filter(live=True).count()
    return QueueSummary(
        waiting=waiting,
        in_review=in_review,
        my_assignment=review_assignment_active_for(project=project, reviewer=user, now=now),
    )


def review_assignment_active_for(
    *, project: Project, reviewer: User, now: datetime | None = None
) -> ReviewAssignment | None:
    """The reviewer's live assignment in the project, with what the review screen shows."""
    return (
        ReviewAssignment.objects.select_related("masklet__video", "masklet__task")
        .filter(
            reviewer_id=reviewer.pk,
            status=AssignmentStatus.ACTIVE,
            masklet__video__project=project,
            expires_at__gte=now or timezone.now(),
        )
        .order_by("-id")
        .first()
    )


def project_masklet_list(
    *,
    project: Project,
    user: User,
    role: str,
    status: str | None = None,
    annotator: int | None = None,
    video: int | None = None,
) -> QuerySet[Masklet]:
    """Masklets across the project: annotators see the ones they annotate, reviewers and
    managers all of them."""
    masklets = Masklet.objects.filter(video__project=project)
    if role == Role.ANNOTATOR:
        masklets = masklets.filter(annotated_by(user.pk))
    if status:
        masklets = masklets.filter(status=status)
    if annotator is not None:
        masklets = masklets.filter(annotated_by(annotator))
    if video is not None:
        masklets = masklets.filter(video_id=video)
    return (
        masklets.select_related("video", "task__assignee", "created_by")
        .annotate(frame_count=masklet_frame_count())
        .order_by("video_id", "id")
    )


def _masklet_for_workflow(*, masklet_id: int, lock: bool) -> Masklet:
    queryset = Masklet.objects.select_related("video__project", "task")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    masklet = queryset.filter(pk=masklet_id).first()
    if masklet is None:
        raise Http404("No such masklet.")
    return masklet


def masklet_get_for_submit(*, user: User, masklet_id: int, lock: bool = False) -> Masklet:
    """The masklet if the user may submit it: its annotator, or a manager of its project."""
    masklet = _masklet_for_workflow(masklet_id=masklet_id, lock=lock)
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    if masklet_hidden_from(masklet=masklet, user=user, role=membership.role):
        raise Http404("No such masklet.")
    if membership.role == Role.MANAGER:
        return masklet
    if membership.role == Role.ANNOTATOR and masklet_annotator_id(masklet) == user.pk:
        return masklet
    raise PermissionDenied("Only the masklet's annotator or a project manager can submit it.")


def masklet_get_for_override(*, user: User, masklet_id: int, lock: bool = False) -> Masklet:
    """The masklet if the user manages its project."""
    masklet = _masklet_for_workflow(masklet_id=masklet_id, lock=lock)
    membership = membership_require(user=user, project_id=masklet.video.project_id)
    if membership.role != Role.MANAGER:
        raise PermissionDenied("Only a project manager can override a masklet's status.")
    return masklet
