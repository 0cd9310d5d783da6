"""Verdicts: who may give them, what they need, how they decide the masklet's status, and
the comments pinned to frames."""

from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.projects.models import Membership
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import Review, ReviewAssignment, ReviewComment
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory
from tests.backend.reviews.helpers import (
    add_frame,
    annotated_masklet,
    claim,
    expire,
    force_assignment,
    new_reviewer,
    submit,
    verdict,
)


def _submitted(team: Team) -> Masklet:
    masklet = annotated_masklet(team)
    assert submit(team, masklet).status_code == 200
    return masklet


def test_satisfactory_verdict_accepts_when_one_verification_is_required(team: Team):
    # given
    masklet = _submitted(team)
    assignment = claim(team, team.reviewer).json()
    # when
    response = verdict(team.reviewer, assignment["id"], verdict="satisfactory", comment="Good")
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"review", "masklet"}
    assert body["review"]["verdict"] == "satisfactory"
    assert body["review"]["round"] == 1
    assert body["review"]["comment"] == "Good"
    assert body["review"]["reviewer"] == {"id": team.reviewer.pk, "username": "reviewer"}
    assert set(body["review"]) == {"id", "reviewer", "round", "verdict", "comment", "created_at"}
    assert body["masklet"]["status"] == "accepted"
    assert body["masklet"]["id"] == masklet.pk
    assert ReviewAssignment.objects.get().status == AssignmentStatus.DONE
    review = Review.objects.get()
    assert review.masklet_version == 2  # the version it was submitted as


def test_unsatisfactory_without_any_comment_is_400_and_records_nothing(team: Team):
    # given
    masklet = _submitted(team)
    assignment = claim(team, team.reviewer).json()
    # when
    response = verdict(team.reviewer, assignment["id"], verdict="unsatisfactory", comment="  ")
    # then
    assert response.status_code == 400
    assert "needs a comment" in response.json()["message"]
    assert not Review.objects.exists()
    assert ReviewAssignment.objects.get().status == AssignmentStatus.ACTIVE
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.SUBMITTED


def test_unsatisfactory_with_pinned_comments_rejects_and_shows_them(team: Team):
    # given
    masklet = _submitted(team)
    assignment = claim(team, team.reviewer).json()
    # when
    response = verdict(
        team.reviewer,
        assignment["id"],
        verdict="unsatisfactory",
        comments=[
            {"frame_index": 2, "x": 0.25, "y": 0.75, "text": "Leg is missing"},
            {"frame_index": 3, "text": "Whole frame drifts"},
        ],
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["masklet"]["status"] == "rejected"
    comments = client_for(team.annotator).get(f"/api/v1/masklets/{masklet.pk}/comments/").json()
    review_id = response.json()["review"]["id"]
    assert [(c["frame_index"], c["x"], c["y"], c["text"], c["review"]) for c in comments] == [
        (2, 0.25, 0.75, "Leg is missing", review_id),
        (3, None, None, "Whole frame drifts", review_id),
    ]
    assert comments[0]["author"] == {"id": team.reviewer.pk, "username": "reviewer"}
    assert comments[0]["resolved"] is False
    assert set(comments[0]) == {
        "id",
        "author",
        "review",
        "frame_index",
        "x",
        "y",
        "text",
        "resolved",
        "created_at",
    }


def test_pinned_comment_outside_the_video_or_half_a_point_is_400(team: Team):
    _submitted(team)
    assignment = claim(team, team.reviewer).json()
    outside = verdict(
        team.reviewer,
        assignment["id"],
        verdict="unsatisfactory",
        comments=[{"frame_index": 4, "text": "?"}],
    )
    half = verdict(
        team.reviewer,
        assignment["id"],
        verdict="unsatisfactory",
        comments=[{"frame_index": 0, "x": 0.5, "text": "?"}],
    )
    off_frame = verdict(
        team.reviewer,
        assignment["id"],
        verdict="unsatisfactory",
        comments=[{"frame_index": 0, "x": 1.5, "y": 0.5, "text": "?"}],
    )
    assert outside.status_code == 400
    assert "4 frames" in outside.json()["message"]
    assert half.status_code == 400
    assert "both x and y" in half.json()["message"]
    assert off_frame.status_code == 400
    assert not ReviewComment.objects.exists()


def test_two_required_verifications_need_two_different_reviewers(team: Team):
    # given
    team.project.verifications_required = 2
    team.project.save()
    second = new_reviewer(team)
    masklet = _submitted(team)
    # when: the first reviewer is satisfied
    first = claim(team, team.reviewer).json()
    after_first = verdict(team.reviewer, first["id"], verdict="satisfactory")
    # then: still submitted, and the same reviewer is not given it again
    assert after_first.json()["masklet"]["status"] == "submitted"
    assert claim(team, team.reviewer).status_code == 204
    # when: a second reviewer is satisfied
    other = claim(team, second).json()
    assert other["masklet"]["id"] == masklet.pk
    after_second = verdict(second, other["id"], verdict="satisfactory")
    # then
    assert after_second.json()["masklet"]["status"] == "accepted"
    reviews = client_for(team.manager).get(f"/api/v1/masklets/{masklet.pk}/reviews/").json()
    assert [r["reviewer"]["username"] for r in reviews] == ["reviewer", "reviewer2"]


def test_one_unsatisfactory_verdict_rejects_despite_an_earlier_satisfactory_one(team: Team):
    # given
    team.project.verifications_required = 2
    team.project.save()
    second = new_reviewer(team)
    masklet = _submitted(team)
    verdict(team.reviewer, claim(team, team.reviewer).json()["id"], verdict="satisfactory")
    # when
    response = verdict(
        second, claim(team, second).json()["id"], verdict="unsatisfactory", comment="Drifts"
    )
    # then
    assert response.json()["masklet"]["status"] == "rejected"
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.REJECTED


def test_satisfactory_verdicts_of_an_earlier_round_do_not_count(team: Team):
    # given: round 1 got one satisfactory then one unsatisfactory verdict
    team.project.verifications_required = 2
    team.project.save()
    second = new_reviewer(team)
    masklet = _submitted(team)
    verdict(team.reviewer, claim(team, team.reviewer).json()["id"], verdict="satisfactory")
    verdict(second, claim(team, second).json()["id"], verdict="unsatisfactory", comment="No")
    # when: resubmitted (after a change) and one reviewer is satisfied
    Masklet.objects.filter(pk=masklet.pk).update(status=MaskletStatus.REWORKED)
    submit(team, masklet)
    response = verdict(
        team.reviewer, claim(team, team.reviewer).json()["id"], verdict="satisfactory"
    )
    # then
    assert response.json()["masklet"]["status"] == "submitted"


def test_annotator_role_cannot_use_the_review_queue(team: Team):
    _submitted(team)
    response = claim(team, team.annotator)
    assert response.status_code == 403
    assert "annotator" in response.json()["message"]
    assert "reviewer or manager" in response.json()["message"]


def test_annotator_cannot_verify_own_masklet_even_as_a_reviewer(team: Team):
    # given: the masklet's annotator later became a reviewer of the project
    masklet = _submitted(team)
    Membership.objects.filter(user=team.annotator).update(role=Role.REVIEWER)
    # when / then: the queue never offers it to them
    assert claim(team, team.annotator).status_code == 204
    queue = client_for(team.annotator).get(f"/api/v1/projects/{team.project.pk}/review-queue/")
    assert queue.json()["waiting"] == 0
    # when / then: and a lease obtained some other way cannot be used to judge it
    assignment = force_assignment(masklet, team.annotator)
    response = verdict(team.annotator, assignment.pk, verdict="satisfactory")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "You annotated this masklet, so you cannot verify it; someone else must."
    )
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.SUBMITTED
    assert not Review.objects.exists()


def test_manager_is_not_offered_masklets_they_made_outside_a_task(team: Team):
    masklet = MaskletFactory(video=team.video, task=None, created_by=team.manager)
    add_frame(team, masklet)
    assert submit(team, masklet, user=team.manager).status_code == 200
    assert claim(team, team.manager).status_code == 204
    assert claim(team, team.reviewer).json()["masklet"]["id"] == masklet.pk


def test_verdict_on_someone_elses_assignment_is_403(team: Team):
    _submitted(team)
    assignment = claim(team, team.reviewer).json()
    second = new_reviewer(team)
    response = verdict(second, assignment["id"], verdict="satisfactory")
    assert response.status_code == 403
    assert "another reviewer" in response.json()["message"]
    manager = verdict(team.manager, assignment["id"], verdict="satisfactory")
    assert manager.status_code == 403


def test_verdict_after_the_lease_ran_out_and_was_taken_over_is_409(team: Team):
    # given
    _submitted(team)
    mine = claim(team, team.reviewer).json()
    expire(mine["id"])
    second = new_reviewer(team)
    assert claim(team, second).status_code == 200
    # when
    response = verdict(team.reviewer, mine["id"], verdict="satisfactory")
    # then
    assert response.status_code == 409
    assert "ran out" in response.json()["message"]
    assert response.json()["extra"] == {"assignment_status": "expired"}


def test_second_verdict_on_one_assignment_is_409(team: Team):
    team.project.verifications_required = 2
    team.project.save()
    _submitted(team)
    assignment = claim(team, team.reviewer).json()
    assert verdict(team.reviewer, assignment["id"], verdict="satisfactory").status_code == 200
    again = verdict(team.reviewer, assignment["id"], verdict="satisfactory")
    assert again.status_code == 409
    assert "already gave your verdict" in again.json()["message"]


def test_annotator_resolves_and_reopens_a_comment(team: Team):
    # given
    masklet = _submitted(team)
    verdict(
        team.reviewer,
        claim(team, team.reviewer).json()["id"],
        verdict="unsatisfactory",
        comments=[{"frame_index": 1, "x": 0.1, "y": 0.2, "text": "Edge"}],
    )
    comment = ReviewComment.objects.get()
    url = f"/api/v1/masklets/{masklet.pk}/comments/{comment.pk}/resolve/"
    # when
    resolved = client_for(team.annotator).post(url, {}, format="json")
    reopened = client_for(team.manager).post(url, {"resolved": False}, format="json")
    by_reviewer = client_for(team.reviewer).post(url, {}, format="json")
    wrong_masklet = client_for(team.annotator).post(
        f"/api/v1/masklets/{team.masklet.pk}/comments/{comment.pk}/resolve/", {}, format="json"
    )
    # then
    assert resolved.status_code == 200
    assert resolved.json()["resolved"] is True
    assert reopened.json()["resolved"] is False
    assert by_reviewer.status_code == 403
    assert "annotator or a project manager" in by_reviewer.json()["message"]
    assert wrong_masklet.status_code == 404
