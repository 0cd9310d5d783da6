"""The project-wide masklet list and the read endpoints of the workflow: who sees what, the
filters, and query counts that do not grow with the number of rows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory, TaskFactory, make_ready_video
from tests.backend.reviews.helpers import (
    add_frame,
    annotated_masklet,
    claim,
    new_reviewer,
    submit,
    verdict,
)


def _other_annotators_masklet(team: Team) -> Masklet:
    video = make_ready_video(team.project)
    task = TaskFactory(project=team.project, video=video, assignee=team.other_annotator)
    masklet = MaskletFactory(video=video, task=task, created_by=team.other_annotator)
    add_frame(team, masklet)
    return masklet


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [m["id"] for m in response.json()["results"]]


def test_project_masklets_annotators_see_their_own_reviewers_and_managers_all(team: Team):
    # given
    theirs = _other_annotators_masklet(team)
    url = f"/api/v1/projects/{team.project.pk}/masklets/"
    # when / then
    assert _ids(client_for(team.annotator).get(url)) == [team.masklet.pk]
    assert _ids(client_for(team.other_annotator).get(url)) == [theirs.pk]
    assert _ids(client_for(team.reviewer).get(url)) == [team.masklet.pk, theirs.pk]
    assert _ids(client_for(team.manager).get(url)) == [team.masklet.pk, theirs.pk]
    assert client_for(team.outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 403


def test_project_masklets_filters_and_shape(team: Team):
    # given
    theirs = _other_annotators_masklet(team)
    Masklet.objects.filter(pk=theirs.pk).update(status=MaskletStatus.SUBMITTED)
    url = f"/api/v1/projects/{team.project.pk}/masklets/"
    manager = client_for(team.manager)
    # when / then
    assert _ids(manager.get(url, {"status": "submitted"})) == [theirs.pk]
    assert _ids(manager.get(url, {"annotator": team.annotator.pk})) == [team.masklet.pk]
    assert _ids(manager.get(url, {"video": theirs.video_id})) == [theirs.pk]
    bad = manager.get(url, {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["message"].startswith("status:")
    row = manager.get(url, {"video": theirs.video_id}).json()["results"][0]
    assert row["video"] == theirs.video_id
    assert row["video_name"] == theirs.video.name
    assert row["annotator"] == {"id": team.other_annotator.pk, "username": "other_annotator"}
    assert row["frame_count"] == 1
    assert row["status"] == "submitted"
    assert {"review_round", "submitted_at", "is_ground_truth", "consensus_discarded"} <= set(row)


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _reviewed_masklet(team: Team, reviewers) -> Masklet:  # type: ignore[no-untyped-def]
    """A masklet with a submission, a rejection with two pinned comments per reviewer and a
    resubmission in its history."""
    masklet = annotated_masklet(team)
    submit(team, masklet)
    for reviewer in reviewers:
        assignment = claim(team, reviewer).json()
        assert assignment["masklet"]["id"] == masklet.pk
        verdict(
            reviewer,
            assignment["id"],
            verdict="unsatisfactory",
            comments=[
                {"frame_index": 0, "x": 0.5, "y": 0.5, "text": "a"},
                {"frame_index": 1, "text": "b"},
            ],
        )
        Masklet.objects.filter(pk=masklet.pk).update(status=MaskletStatus.REWORKED)
        submit(team, masklet)
    Masklet.objects.filter(pk=masklet.pk).update(status=MaskletStatus.ACCEPTED)
    return masklet


def test_list_endpoints_use_a_bounded_number_of_queries(team: Team):
    # given: one masklet with little history, then one with a lot, and more masklets
    manager = client_for(team.manager)
    small = _reviewed_masklet(team, [team.reviewer])
    large = _reviewed_masklet(team, [team.reviewer, new_reviewer(team, "r2"), team.manager])
    project_url = f"/api/v1/projects/{team.project.pk}/masklets/"
    before = _queries(manager, project_url)
    for _ in range(6):
        _other_annotators_masklet(team)
    # then
    assert _queries(manager, project_url) == before
    for endpoint in ("history", "reviews", "comments"):
        assert _queries(manager, f"/api/v1/masklets/{small.pk}/{endpoint}/") == _queries(
            manager, f"/api/v1/masklets/{large.pk}/{endpoint}/"
        ), endpoint
    assert _queries(manager, f"/api/v1/projects/{team.project.pk}/review-queue/") <= 8
