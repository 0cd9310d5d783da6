import pytest

from backend.quality.models import ActivityRecord
from tests.backend.conftest import client_for
from tests.backend.factories import ProjectFactory, make_ready_video


def _post(user, body):
    return client_for(user).post("/api/v1/activity/", body, format="json")


def test_activity_is_recorded(team):
    response = _post(team.annotator, {"video": team.video.pk, "seconds": 45, "frame_index": 2})
    assert response.status_code == 204
    record = ActivityRecord.objects.get()
    assert (record.user, record.project, record.video) == (team.annotator, team.project, team.video)
    assert (record.seconds, record.frame_index) == (45, 2)
    assert _post(team.manager, {"video": team.video.pk, "seconds": 300}).status_code == 204
    assert ActivityRecord.objects.filter(frame_index__isnull=True).count() == 1


@pytest.mark.parametrize("seconds", [0, 301, -5])
def test_activity_seconds_out_of_range_is_400(team, seconds):
    response = _post(team.annotator, {"video": team.video.pk, "seconds": seconds})
    assert response.status_code == 400
    assert response.json()["message"].startswith("seconds")
    assert not ActivityRecord.objects.exists()


def test_activity_frame_outside_the_video_is_400(team):
    response = _post(
        team.annotator,
        {"video": team.video.pk, "seconds": 5, "frame_index": team.video.frame_count},
    )
    assert response.status_code == 400
    assert "frame_index" in response.json()["message"]


def test_activity_on_another_projects_video_is_404(team):
    other_video = make_ready_video(ProjectFactory())
    assert _post(team.annotator, {"video": other_video.pk, "seconds": 5}).status_code == 404
    assert _post(team.outsider, {"video": team.video.pk, "seconds": 5}).status_code == 404
    assert _post(team.annotator, {"video": 999999, "seconds": 5}).status_code == 404
    assert not ActivityRecord.objects.exists()


def test_activity_needs_a_login(team):
    assert _post(None, {"video": team.video.pk, "seconds": 5}).status_code in (401, 403)
