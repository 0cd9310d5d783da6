"""The verification queue: fair order, leases (renew, release, expiry) and no double
assignment, also under concurrent reviewers on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.reviews import selectors, services
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import ReviewAssignment
from tests.backend.conftest import Team, client_for
from tests.backend.reviews.helpers import (
    annotated_masklet,
    claim,
    expire,
    force_assignment,
    new_member,
    new_reviewer,
    submit,
)


def _submitted_in_order(team: Team, count: int) -> list[Masklet]:
    """Masklets submitted one minute apart, the first one earliest."""
    masklets = []
    start = timezone.now() - timedelta(hours=1)
    for index in range(count):
        masklet = annotated_masklet(team, name=f"m{index}")
        assert submit(team, masklet).status_code == 200
        masklets.append(masklet)
    # Submitted in reverse creation order, so that id order and submission order differ.
    for offset, masklet in enumerate(reversed(masklets)):
        Masklet.objects.filter(pk=masklet.pk).update(submitted_at=start + timedelta(minutes=offset))
    return list(reversed(masklets))


def test_queue_hands_out_the_oldest_submission_first(team: Team):
    # given
    oldest, middle, newest = _submitted_in_order(team, 3)
    second = new_reviewer(team, "reviewer2")
    # when
    first_claim = claim(team, team.reviewer)
    second_claim = claim(team, second)
    third_claim = claim(team, team.manager)
    # then
    assert first_claim.status_code == 200
    assert first_claim.json()["masklet"]["id"] == oldest.pk
    assert second_claim.json()["masklet"]["id"] == middle.pk
    assert third_claim.json()["masklet"]["id"] == newest.pk
    assert claim(team, new_reviewer(team, "reviewer3")).status_code == 204


def test_assignment_shape(team: Team):
    masklet = annotated_masklet(team)
    submit(team, masklet)
    body = claim(team, team.reviewer).json()
    assert set(body) == {"id", "masklet", "video", "round", "expires_at"}
    assert body["video"] == {
        "id": team.video.pk,
        "name": team.video.name,
        "width": 64,
        "height": 48,
        "frame_count": 4,
        "fps": 24.0,
    }
    assert body["round"] == 1
    assert body["masklet"]["status"] == "submitted"
    assert body["masklet"]["frame_count"] == 1


def test_next_returns_the_callers_current_assignment(team: Team):
    _submitted_in_order(team, 2)
    first = claim(team, team.reviewer).json()
    again = claim(team, team.reviewer).json()
    assert again["id"] == first["id"]
    assert ReviewAssignment.objects.count() == 1


def test_nothing_to_verify_is_204(team: Team):
    response = claim(team, team.reviewer)
    assert response.status_code == 204
    assert not response.content


def test_queue_skips_draft_accepted_and_discarded_masklets(team: Team):
    draft = annotated_masklet(team)
    accepted = annotated_masklet(team)
    discarded = annotated_masklet(team)
    submit(team, accepted)
    submit(team, discarded)
    Masklet.objects.filter(pk=accepted.pk).update(status=MaskletStatus.ACCEPTED)
    Masklet.objects.filter(pk=discarded.pk).update(consensus_discarded=True)
    assert draft.status == MaskletStatus.DRAFT
    assert claim(team, team.reviewer).status_code == 204


def test_an_expired_lease_hands_the_masklet_to_another_reviewer(team: Team):
    # given: the first reviewer claimed and left
    masklet = annotated_masklet(team)
    submit(team, masklet)
    first = claim(team, team.reviewer).json()
    second = new_reviewer(team)
    assert claim(team, second).status_code == 204  # still held
    expire(first["id"])
    # when
    response = claim(team, second)
    # then
    assert response.status_code == 200
    assert response.json()["masklet"]["id"] == masklet.pk
    assert ReviewAssignment.objects.get(pk=first["id"]).status == AssignmentStatus.EXPIRED
    renew = client_for(team.reviewer).post(f"/api/v1/review-assignments/{first['id']}/renew/")
    assert renew.status_code == 409
    assert "ran out" in renew.json()["message"]


def test_the_reviewer_gets_their_own_expired_item_back_when_nobody_took_it(team: Team):
    masklet = annotated_masklet(team)
    submit(team, masklet)
    first = claim(team, team.reviewer).json()
    expire(first["id"])
    again = claim(team, team.reviewer).json()
    assert again["masklet"]["id"] == masklet.pk
    assert again["id"] != first["id"]


def test_renew_extends_the_lease(team: Team):
    # given
    masklet = annotated_masklet(team)
    submit(team, masklet)
    assignment = claim(team, team.reviewer).json()
    ReviewAssignment.objects.filter(pk=assignment["id"]).update(
        expires_at=timezone.now() + timedelta(seconds=5)
    )
    # when
    response = client_for(team.reviewer).post(
        f"/api/v1/review-assignments/{assignment['id']}/renew/"
    )
    # then
    assert response.status_code == 200
    expires = ReviewAssignment.objects.get().expires_at
    assert expires > timezone.now() + timedelta(seconds=settings.REVIEW_LEASE_SECONDS - 60)
    assert response.json()["id"] == assignment["id"]
    other = client_for(team.manager).post(f"/api/v1/review-assignments/{assignment['id']}/renew/")
    assert other.status_code == 403


def test_release_returns_the_masklet_to_the_queue(team: Team):
    # given
    masklet = annotated_masklet(team)
    submit(team, masklet)
    assignment = claim(team, team.reviewer).json()
    second = new_reviewer(team)
    # when
    released = client_for(team.reviewer).post(
        f"/api/v1/review-assignments/{assignment['id']}/release/"
    )
    again = client_for(team.reviewer).post(
        f"/api/v1/review-assignments/{assignment['id']}/release/"
    )
    # then
    assert released.status_code == 204
    assert again.status_code == 204  # releasing twice changes nothing
    assert ReviewAssignment.objects.get(pk=assignment["id"]).status == AssignmentStatus.RELEASED
    assert claim(team, second).json()["masklet"]["id"] == masklet.pk


def test_manager_may_release_a_reviewers_lease_but_others_may_not(team: Team):
    masklet = annotated_masklet(team)
    submit(team, masklet)
    assignment = claim(team, team.reviewer).json()
    url = f"/api/v1/review-assignments/{assignment['id']}/release/"
    assert client_for(new_reviewer(team)).post(url).status_code == 403
    assert client_for(team.annotator).post(url).status_code == 403
    assert client_for(team.outsider).post(url).status_code == 404
    assert client_for(team.manager).post(url).status_code == 204


def test_queue_summary_counts_waiting_and_held_masklets(team: Team):
    # given
    _submitted_in_order(team, 3)
    mine = claim(team, team.reviewer).json()
    second = new_reviewer(team)
    # when
    summary = client_for(second).get(f"/api/v1/projects/{team.project.pk}/review-queue/").json()
    my_summary = client_for(team.reviewer).get(f"/api/v1/projects/{team.project.pk}/review-queue/")
    # then
    assert summary == {"waiting": 2, "in_review": 1, "my_assignment": None}
    assert my_summary.json()["my_assignment"]["id"] == mine["id"]
    assert my_summary.json()["my_assignment"]["video"]["id"] == team.video.pk
    # an expired lease counts as waiting again
    expire(mine["id"])
    after = client_for(second).get(f"/api/v1/projects/{team.project.pk}/review-queue/").json()
    assert after == {"waiting": 3, "in_review": 0, "my_assignment": None}


def test_one_active_assignment_per_masklet_is_enforced_by_the_database(team: Team):
    masklet = annotated_masklet(team)
    submit(team, masklet)
    force_assignment(masklet, team.reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        force_assignment(masklet, team.manager)
    ReviewAssignment.objects.update(status=AssignmentStatus.DONE)
    force_assignment(masklet, team.manager)  # a finished one does not count


def test_claim_moves_on_when_the_database_guard_refuses_a_candidate(team: Team, monkeypatch):
    # given: a candidate list that is stale, as a concurrent claimer could see it
    taken, free = _submitted_in_order(team, 2)
    force_assignment(taken, new_reviewer(team))
    stale = [(taken.pk, 1), (free.pk, 1)]
    monkeypatch.setattr(
        selectors,
        "review_candidate_next",
        lambda *, exclude, **kwargs: next((c for c in stale if c[0] not in exclude), None),
    )
    # when
    assignment = services.review_assignment_claim(project=team.project, reviewer=team.reviewer)
    # then
    assert assignment.masklet_id == free.pk
    assert ReviewAssignment.objects.filter(masklet=taken, status="active").count() == 1


def _claim_in_thread(project_id: int, reviewer_id: int, barrier, results, errors) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts.models import User
    from backend.projects.models import Project

    try:
        project = Project.objects.get(pk=project_id)
        reviewer = User.objects.get(pk=reviewer_id)
        barrier.wait(timeout=30)
        assignment = services.review_assignment_claim(project=project, reviewer=reviewer)
        results[reviewer_id] = assignment.masklet_id if assignment else None
    except Exception as exc:  # reported by the test thread
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises every write transaction; the race needs PostgreSQL row locks "
    "(CI runs this on PostgreSQL via DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_never_get_the_same_masklet(team: Team):
    # given: three submitted masklets and eight reviewers asking at the same moment
    masklets = _submitted_in_order(team, 3)
    reviewers = [new_member(team.project, Role.REVIEWER, f"r{i}") for i in range(8)]
    for round_number in range(3):
        ReviewAssignment.objects.update(status=AssignmentStatus.RELEASED)
        barrier = threading.Barrier(len(reviewers))
        results: dict[int, int | None] = {}
        errors: list[Exception] = []
        threads = [
            threading.Thread(
                target=_claim_in_thread,
                args=(team.project.pk, r.pk, barrier, results, errors),
            )
            for r in reviewers
        ]
        # when
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        # then: every masklet went to exactly one reviewer, the others got nothing
        assert not errors, (round_number, errors)
        given = [m for m in results.values() if m is not None]
        assert sorted(given) == sorted(m.pk for m in masklets), (round_number, results)
        assert ReviewAssignment.objects.filter(status=AssignmentStatus.ACTIVE).count() == 3
