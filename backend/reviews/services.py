"""The masklet workflow: submit, verify through the review queue, reject, rework, override.

draft -> submitted -> accepted | rejected; rejected -> reworked (first mask change) ->
submitted again. Every status change writes a MaskletStatusChange row and a
"masklet.status" Event in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from backend.accounts.models import User
from backend.automask.models import AutoProposal
from backend.common.exceptions import ApplicationError, ConflictError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.jobs.enums import ACTIVE
from backend.masklets.enums import MaskletSource, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame, PropagationMasklet
from backend.projects.models import Membership, Project
from backend.projects.services import task_create
from backend.reviews import selectors
from backend.reviews.enums import AssignmentStatus, StatusAction, Verdict
from backend.reviews.models import MaskletStatusChange, Review, ReviewAssignment, ReviewComment

# Candidates tried per claim; each failure means another claimer won that masklet in a race
# the row lock could not prevent (e.g. its lease had just been written).
CLAIM_ATTEMPTS = 20

OVERRIDE_ACTIONS = {
    MaskletStatus.ACCEPTED: StatusAction.ACCEPTED,
    MaskletStatus.REJECTED: StatusAction.REJECTED,
    MaskletStatus.DRAFT: StatusAction.REOPENED,
}


@dataclass(frozen=True)
class PinnedComment:
    frame_index: int
    text: str
    x: float | None = None
    y: float | None = None


def _lease() -> timedelta:
    return timedelta(seconds=settings.REVIEW_LEASE_SECONDS)


def _transition(
    *,
    masklet: Masklet,
    to_status: str,
    action: str,
    actor: User | None,
    comment: str = "",
    override: bool = False,
    bump_version: bool = True,
    **changes: object,
) -> MaskletStatusChange | None:
    """Moves the masklet from the status it was read with to `to_status`; None (and nothing
    written) when the row's status changed meanwhile. Leaving "submitted" ends any
    reviewer's lease."""
    from_status = masklet.status
    fields: dict[str, object] = {"status": to_status, "updated_at": timezone.now(), **changes}
    if bump_version:
        # Status decides whether masks may change, so clients holding the old version reload.
        fields["version"] = F("version") + 1
    if not Masklet.objects.filter(pk=masklet.pk, status=from_status).update(**fields):
        return None
    masklet.refresh_from_db(fields=["status", "version", "review_round", "submitted_at"])
    if from_status == MaskletStatus.SUBMITTED and to_status != MaskletStatus.SUBMITTED:
        ReviewAssignment.objects.filter(masklet=masklet, status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.RELEASED, updated_at=timezone.now()
        )
    change = MaskletStatusChange.objects.create(
        masklet=masklet,
        from_status=from_status,
        to_status=to_status,
        action=action,
        actor=actor,
        comment=comment,
        override=override,
    )
    event_record(
        project_id=masklet.video.project_id,
        video_id=masklet.video_id,
        kind=EventKind.MASKLET_STATUS,
        actor_id=actor.pk if actor else None,
        payload={
            "masklet": masklet.pk,
            "status": masklet.status,
            "version": masklet.version,
            "round": masklet.review_round,
        },
    )
    return change


@transaction.atomic
def masklet_submit(*, masklet: Masklet, actor: User, version: int) -> Masklet:
    """Hands the masklet to verification. Caller holds the masklet row lock and checked that
    the actor is its annotator or a manager."""
    if not masklet.is_editable:
        raise ApplicationError(
            f"The masklet is already {masklet.status}; only draft, rejected or reworked "
            "masklets can be submitted.",
            extra={"status": masklet.status},
            status=409,
        )
    if masklet.consensus_discarded:
        raise ApplicationError(
            "Another annotator's version of this object was chosen in consensus; this one is "
            "not used, so it is not verified either.",
            status=409,
        )
    if version != masklet.version:
        raise ConflictError(
            "This masklet was changed by someone else since you loaded it; reload it and "
            "submit again.",
            extra={"your_version": version, "current_version": masklet.version},
        )
    if not MaskletFrame.objects.filter(masklet=masklet).exists():
        raise ApplicationError(
            "The masklet has no mask on any frame yet; annotate at least one frame before "
            "submitting it.",
            status=400,
        )
    pending = _pending_jobs(masklet)
    if pending:
        raise ApplicationError(
            "A propagation of this masklet is still running; wait for it to finish or cancel "
            "it before submitting.",
            extra={"jobs": pending},
            status=409,
        )
    action = StatusAction.SUBMITTED if masklet.review_round == 0 else StatusAction.RESUBMITTED
    _transition(
        masklet=masklet,
        to_status=MaskletStatus.SUBMITTED,
        action=action,
        actor=actor,
        review_round=F("review_round") + 1,
        submitted_at=timezone.now(),
    )
    return masklet


@transaction.atomic
def masklet_submit_automatic(*, masklet: Masklet) -> Masklet:
    """An auto-annotation job hands its propagated masklet to verification (no person
    submits it). Caller holds the job's run; the masklet is a draft."""
    _transition(
        masklet=masklet,
        to_status=MaskletStatus.SUBMITTED,
        action=StatusAction.SUBMITTED,
        actor=None,
        review_round=F("review_round") + 1,
        submitted_at=timezone.now(),
    )
    return masklet


def _auto_to_manual_task(*, masklet: Masklet, reviewer: User) -> None:
    """An auto masklet judged unsatisfactory becomes a manual masklet in a new annotation
    task of its video (unassigned: a manager assigns it), keeping its SAM 2 input and
    frames, so the annotator corrects it rather than starting over."""
    task = task_create(project=masklet.video.project, actor=reviewer, video=masklet.video)
    Masklet.objects.filter(pk=masklet.pk).update(task=task, source=MaskletSource.MANUAL)
    masklet.task, masklet.source = task, MaskletSource.MANUAL
    AutoProposal.objects.filter(masklet=masklet).update(
        rejected_at=timezone.now(), correction_task=task, updated_at=timezone.now()
    )


def _pending_jobs(masklet: Masklet) -> list[int]:
    """Propagation jobs that may still write the masklet's masks."""
    return list(
        PropagationMasklet.objects.filter(masklet=masklet, job__status__in=ACTIVE).values_list(
            "job_id", flat=True
        )
    )


def masklet_mark_reworked(*, masklet: Masklet, actor: User | None) -> None:
    """Called by every path that changes a masklet's masks or prompts: the first change of a
    rejected masklet makes it "reworked". Does not change the version (the edit does). Costs
    no query (not even a savepoint) unless the masklet is rejected: clicks call it."""
    if masklet.status == MaskletStatus.REJECTED:
        _masklet_rework(masklet=masklet, actor=actor)


@transaction.atomic
def _masklet_rework(*, masklet: Masklet, actor: User | None) -> None:
    # _transition is conditional on the status read, so two edits racing on an unlocked row
    # (propagation reads them unlocked) record the change once.
    _transition(
        masklet=masklet,
        to_status=MaskletStatus.REWORKED,
        action=StatusAction.REWORKED,
        actor=actor,
        bump_version=False,
    )


@transaction.atomic
def masklet_withdraw_discarded(*, masklet: Masklet, actor: User) -> None:
    """A masklet whose version lost in consensus leaves the review queue: back to draft (its
    history says why), ending any reviewer's lease. Caller holds the masklet row lock."""
    if masklet.status == MaskletStatus.SUBMITTED:
        _transition(
            masklet=masklet,
            to_status=MaskletStatus.DRAFT,
            action=OVERRIDE_ACTIONS[MaskletStatus.DRAFT],
            actor=actor,
            comment="Another annotator's version was chosen in consensus.",
            override=True,
        )


@transaction.atomic
def masklet_status_override(*, masklet: Masklet, actor: User, status: str, reason: str) -> Masklet:
    """A manager sets the status by hand (accepted, rejected or draft), with a reason.
    Caller holds the masklet row lock and checked the role."""
    if status not in OVERRIDE_ACTIONS:
        raise ApplicationError(
            f"A manager can set a masklet to {', '.join(OVERRIDE_ACTIONS)}, not {status}.",
            status=400,
        )
    if not reason.strip():
        raise ApplicationError("Give a reason for overriding the workflow.", status=400)
    if masklet.status == status:
        raise ApplicationError(
            f"The masklet is already {status}.", extra={"status": masklet.status}, status=409
        )
    if status == MaskletStatus.ACCEPTED:
        # Refused rather than cancelling the job for the manager: the job may write other
        # masklets too, and stopping it is a separate decision. An accepted masklet's masks
        # are what was accepted, so none may still be on their way.
        pending = _pending_jobs(masklet)
        if pending:
            raise ApplicationError(
                "A propagation of this masklet is still running; cancel it (or wait for it to "
                "finish) before accepting the masklet.",
                extra={"jobs": pending},
                status=409,
            )
    _transition(
        masklet=masklet,
        to_status=status,
        action=OVERRIDE_ACTIONS[status],
        actor=actor,
        comment=reason.strip(),
        override=True,
    )
    return masklet


def _expire_leases(*, project: Project, now: datetime) -> None:
    """Frees masklets whose reviewer's lease ran out, or whose reviewer is no longer a reviewer
    of the project. Expired rows another transaction holds (a renewal, or a claimer expiring
    them already) are skipped, never waited for."""
    stale = ReviewAssignment.objects.filter(
        status=AssignmentStatus.ACTIVE, expires_at__lt=now, masklet__video__project=project
    )
    if connection.features.has_select_for_update_skip_locked:
        stale = stale.select_for_update(skip_locked=True, of=("self",))
    ids = list(stale.values_list("pk", flat=True))
    if ids:
        ReviewAssignment.objects.filter(pk__in=ids, status=AssignmentStatus.ACTIVE).update(
            status=AssignmentStatus.EXPIRED, updated_at=now
        )
    # Leases of reviewers who are no longer reviewers (or members): back to the queue.
    reviewers = Membership.objects.filter(project=project, role__in=selectors.REVIEWER_ROLES)
    ReviewAssignment.objects.filter(
        status=AssignmentStatus.ACTIVE, masklet__video__project=project
    ).exclude(reviewer_id__in=reviewers.values("user_id")).update(
        status=AssignmentStatus.RELEASED, updated_at=now
    )


@transaction.atomic
def review_assignment_claim(*, project: Project, reviewer: User) -> ReviewAssignment | None:
    """The reviewer's live assignment in the project, else a lease on the next masklet to
    verify (oldest submission first), else None. Caller checked the role.

    Concurrent claimers never get the same masklet: candidates are row-locked with SKIP
    LOCKED where the database can, and the partial unique constraint on active assignments
    turns any remaining race into an IntegrityError, after which the next candidate is tried.
    """
    # One claim at a time per reviewer and project, so a double click yields one lease.
    Membership.objects.select_for_update().filter(project=project, user_id=reviewer.pk).first()
    now = timezone.now()
    _expire_leases(project=project, now=now)
    current = selectors.review_assignment_active_for(project=project, reviewer=reviewer, now=now)
    if current is not None:
        return current
    tried: list[int] = []
    for _attempt in range(CLAIM_ATTEMPTS):
        candidate = selectors.review_candidate_next(
            project=project, reviewer=reviewer, exclude=tried
        )
        if candidate is None:
            return None
        masklet_id, review_round = candidate
        try:
            with transaction.atomic():
                return ReviewAssignment.objects.create(
                    masklet_id=masklet_id,
                    reviewer=reviewer,
                    round=review_round,
                    claimed_at=now,
                    expires_at=now + _lease(),
                )
        except IntegrityError:
            tried.append(masklet_id)  # another reviewer got it first
    return None


@transaction.atomic
def review_assignment_renew(*, assignment: ReviewAssignment) -> ReviewAssignment:
    """Extends the lease by REVIEW_LEASE_SECONDS from now. Caller holds the assignment lock."""
    _require_active(assignment)
    assignment.expires_at = timezone.now() + _lease()
    assignment.save(update_fields=["expires_at", "updated_at"])
    return assignment


def review_assignment_release(*, assignment: ReviewAssignment) -> None:
    """Gives the masklet back to the queue: one conditional UPDATE, so a release is done or
    not done, never half (and needs no lock). Releasing an ended assignment changes nothing."""
    ReviewAssignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.ACTIVE).update(
        status=AssignmentStatus.RELEASED, updated_at=timezone.now()
    )


def _require_active(assignment: ReviewAssignment) -> None:
    reasons = {
        AssignmentStatus.EXPIRED: "Your lease on this masklet ran out and it went back to the "
        "queue; ask the queue for the next masklet.",
        AssignmentStatus.RELEASED: "This assignment was released (by you, a manager, or because "
        "the masklet left review); ask the queue for the next masklet.",
        AssignmentStatus.DONE: "You already gave your verdict on this assignment.",
    }
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ApplicationError(
            reasons[assignment.status], extra={"assignment_status": assignment.status}, status=409
        )


@transaction.atomic
def review_verdict_give(
    *,
    assignment: ReviewAssignment,
    reviewer: User,
    verdict: str,
    comment: str = "",
    comments: list[PinnedComment] | None = None,
) -> tuple[Review, Masklet]:
    """Records the reviewer's verdict on the masklet of their assignment. One unsatisfactory
    verdict rejects it (it goes back to its annotator); the project's verifications_required
    satisfactory verdicts in the current round accept it. Caller holds the assignment lock."""
    comments = comments or []
    comment = comment.strip()
    masklet = (
        Masklet.objects.select_for_update(of=("self",))
        .select_related("video__project", "task")
        .get(pk=assignment.masklet_id)
    )
    if selectors.masklet_annotator_id(masklet) == reviewer.pk:
        raise ApplicationError(
            "You annotated this masklet, so you cannot verify it; someone else must.",
            status=403,
        )
    _require_active(assignment)
    if masklet.status != MaskletStatus.SUBMITTED or masklet.review_round != assignment.round:
        raise ApplicationError(
            f"The masklet changed since you claimed it (it is now {masklet.status}, round "
            f"{masklet.review_round}); ask the queue for the next masklet.",
            extra={"status": masklet.status, "round": masklet.review_round},
            status=409,
        )
    if verdict not in Verdict.values:
        raise ApplicationError(f"The verdict must be one of {', '.join(Verdict.values)}.")
    if verdict == Verdict.UNSATISFACTORY and not comment and not comments:
        raise ApplicationError(
            "An unsatisfactory verdict needs a comment or at least one comment pinned to a "
            "frame, so that the annotator knows what to fix.",
            status=400,
        )
    video = masklet.video
    for pinned in comments:
        if not 0 <= pinned.frame_index < video.frame_count:
            raise ApplicationError(
                f"Comment on frame {pinned.frame_index}: the video has {video.frame_count} "
                f"frames (0..{video.frame_count - 1}).",
                status=400,
            )
        if (pinned.x is None) != (pinned.y is None):
            raise ApplicationError("A pinned comment needs both x and y, or neither.")
    if Review.objects.filter(
        masklet=masklet, reviewer_id=reviewer.pk, round=masklet.review_round
    ).exists():
        raise ApplicationError(
            "You already gave a verdict on this round of the masklet.", status=409
        )
    review = Review.objects.create(
        masklet=masklet,
        reviewer=reviewer,
        round=masklet.review_round,
        masklet_version=masklet.version,
        verdict=verdict,
        comment=comment,
    )
    ReviewComment.objects.bulk_create(
        ReviewComment(
            masklet=masklet,
            review=review,
            author=reviewer,
            frame_index=pinned.frame_index,
            x=pinned.x,
            y=pinned.y,
            text=pinned.text.strip(),
        )
        for pinned in comments
    )
    assignment.status = AssignmentStatus.DONE
    assignment.save(update_fields=["status", "updated_at"])
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.MASKLET_REVIEW,
        actor_id=reviewer.pk,
        payload={
            "masklet": masklet.pk,
            "review": review.pk,
            "verdict": verdict,
            "round": review.round,
        },
    )
    if verdict == Verdict.UNSATISFACTORY:
        _transition(
            masklet=masklet,
            to_status=MaskletStatus.REJECTED,
            action=StatusAction.REJECTED,
            actor=reviewer,
            comment=comment,
        )
        if masklet.source == MaskletSource.AUTO:
            _auto_to_manual_task(masklet=masklet, reviewer=reviewer)
    else:
        satisfied = Review.objects.filter(
            masklet=masklet, round=masklet.review_round, verdict=Verdict.SATISFACTORY
        ).count()
        if satisfied >= video.project.verifications_required:
            _transition(
                masklet=masklet,
                to_status=MaskletStatus.ACCEPTED,
                action=StatusAction.ACCEPTED,
                actor=reviewer,
                comment=comment,
            )
    return review, masklet


@transaction.atomic
def review_comment_resolve(
    *, comment: ReviewComment, actor: User, resolved: bool = True
) -> ReviewComment:
    if comment.resolved != resolved:
        comment.resolved = resolved
        comment.save(update_fields=["resolved", "updated_at"])
        event_record(
            project_id=comment.masklet.video.project_id,
            video_id=comment.masklet.video_id,
            kind=EventKind.MASKLET_COMMENT,
            actor_id=actor.pk,
            payload={"masklet": comment.masklet_id, "comment": comment.pk, "resolved": resolved},
        )
    return comment
