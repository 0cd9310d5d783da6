"""Tasks: split a video or a frame range among annotators, bulk (re)assignment, progress."""

import numpy as np
import pytest

from backend.common import rle
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects import services
from backend.projects.models import Task
from tests.backend.conftest import Team, client_for
from tests.backend.factories import make_ready_video


@pytest.mark.parametrize(
    ("start", "end", "step", "parts", "expected"),
    [
        (0, 10, 1, 2, [0, 5, 10]),
        (0, 10, 1, 3, [0, 3, 6, 10]),
        # every 4th frame: 0 4 8 12 16 20 -> 3 each, boundaries on annotation frames
        (0, 24, 4, 2, [0, 12, 24]),
        # 3..20 every 4th: 4 8 12 16 20 -> 3 + 2
        (3, 21, 4, 2, [3, 12, 21]),
        (0, 3, 1, 3, [0, 1, 2, 3]),
    ],
)
def test_split_points_share_the_frames_to_annotate(start, end, step, parts, expected):
    assert services.split_points(frame_start=start, frame_end=end, step=step, parts=parts) == (
        expected
    )


def test_split_points_refuses_more_parts_than_frames():
    with pytest.raises(services.ApplicationError, match="cannot be split among 3"):
        services.split_points(frame_start=0, frame_end=8, step=4, parts=3)


def _split(team: Team, **body):
    return client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/tasks/split/", body, format="json"
    )


def test_split_a_video_between_two_annotators(team: Team):
    # given: a 10-frame video
    video = make_ready_video(team.project, frames=10)
    # when
    response = _split(team, video_id=video.pk, assignees=["annotator", "other_annotator"])
    # then
    assert response.status_code == 201, response.json()
    parts = [(t["assignee"]["username"], t["frame_start"], t["frame_end"]) for t in response.json()]
    assert parts == [("annotator", 0, 5), ("other_annotator", 5, 10)]
    assert response.json()[0]["progress"] == {
        "frames_total": 5,
        "frames_annotated": 0,
        "masklets": 0,
        "submitted": 0,
        "accepted": 0,
    }


def test_split_a_frame_range_with_an_unassigned_part(team: Team):
    video = make_ready_video(team.project, frames=10)
    response = _split(
        team, video_id=video.pk, assignees=["annotator", None], frame_start=2, frame_end=8
    )
    assert response.status_code == 201, response.json()
    assert [(t["frame_start"], t["frame_end"]) for t in response.json()] == [(2, 5), (5, 8)]
    assert response.json()[1]["assignee"] is None


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"assignees": ["annotator", "annotator"]}, 400, "only one part"),
        ({"assignees": ["reviewer"]}, 400, "not an annotator"),
        ({"assignees": ["nobody"]}, 400, "no user named"),
        ({"assignees": ["annotator"] * 0}, 400, "assignees"),
        ({"assignees": ["annotator"], "frame_end": 99}, 400, "outside the video"),
        ({"assignees": ["annotator", "other_annotator", "manager"], "frame_end": 2}, 400, "split"),
    ],
)
def test_split_refuses_in_words_and_creates_nothing(team: Team, body, status, message):
    video = make_ready_video(team.project, frames=10)
    response = _split(team, video_id=video.pk, **body)
    assert response.status_code == status
    assert message in response.json()["message"]
    assert not Task.objects.filter(video=video).exists()


def test_split_refuses_another_projects_video(team: Team):
    other = make_ready_video(Task.objects.get(pk=team.task.pk).project)
    other.project = type(team.project).objects.create(name="Other")
    other.save()
    assert _split(team, video_id=other.pk, assignees=["annotator"]).status_code == 404


def test_bulk_assign_and_unassign(team: Team):
    # given
    video = make_ready_video(team.project, frames=10)
    ids = [t["id"] for t in _split(team, video_id=video.pk, assignees=[None, None]).json()]
    client = client_for(team.manager)
    url = f"/api/v1/projects/{team.project.pk}/tasks/assign/"
    # when
    assigned = client.post(url, {"task_ids": ids, "assignee": "other_annotator"}, format="json")
    unassigned = client.post(url, {"task_ids": ids[:1], "assignee": None}, format="json")
    # then
    assert assigned.status_code == 200, assigned.json()
    assert [t["assignee"]["username"] for t in assigned.json()] == ["other_annotator"] * 2
    assert unassigned.json()[0]["assignee"] is None
    assert Task.objects.get(pk=ids[1]).assignee == team.other_annotator


def test_bulk_assign_refuses_tasks_of_another_project_and_changes_nothing(team: Team):
    url = f"/api/v1/projects/{team.project.pk}/tasks/assign/"
    response = client_for(team.manager).post(
        url, {"task_ids": [team.task.pk, 999999], "assignee": "other_annotator"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["extra"] == {"tasks": [999999]}
    assert Task.objects.get(pk=team.task.pk).assignee == team.annotator


def _mask(team: Team, frame: int, masklet: Masklet, empty: bool = False) -> None:
    pixels = np.zeros((team.video.height, team.video.width), np.uint8)
    if not empty:
        pixels[2:9, 3:7] = 1
    encoded = rle.encode(pixels)
    MaskletFrame.objects.create(
        masklet=masklet,
        frame_index=frame,
        rle=encoded,
        area=rle.area(encoded),
        bbox=rle.bbox(encoded),
        origin=FrameOrigin.PROPAGATED,
    )


def test_progress_counts_annotation_frames_with_a_non_empty_mask(team: Team):
    # given: every 2nd frame is annotated; the task covers frames 0..7 of a 10-frame video
    team.project.frame_step = 2
    team.project.save()
    video = make_ready_video(team.project, frames=10)
    task = Task.objects.create(
        project=team.project, video=video, assignee=team.annotator, frame_start=0, frame_end=8
    )
    a = Masklet.objects.create(video=video, task=task, status=MaskletStatus.ACCEPTED)
    b = Masklet.objects.create(video=video, task=task, status=MaskletStatus.SUBMITTED)
    Masklet.objects.create(video=video, task=task)
    for frame in (0, 1, 2):  # frame 1 is not an annotation frame
        _mask(team, frame, a)
    _mask(team, 2, b)  # the same frame again, by another object
    _mask(team, 4, b, empty=True)  # empty: the object is gone
    _mask(team, 8, b)  # outside the task's range
    # when
    rows = client_for(team.annotator).get(f"/api/v1/projects/{team.project.pk}/tasks/").json()
    # then
    (row,) = [r for r in rows["results"] if r["id"] == task.pk]
    assert row["progress"] == {
        "frames_total": 4,
        "frames_annotated": 2,
        "masklets": 3,
        "submitted": 1,
        "accepted": 1,
    }


def test_task_list_query_count_does_not_grow(team: Team, django_assert_max_num_queries):
    video = make_ready_video(team.project, frames=10)
    _split(team, video_id=video.pk, assignees=["annotator", "other_annotator", None])
    with django_assert_max_num_queries(4):
        response = client_for(team.manager).get(f"/api/v1/projects/{team.project.pk}/tasks/")
    assert response.json()["count"] == 4
