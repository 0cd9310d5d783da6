"""Masklets, their frames and prompts through the API: versions, bulk I/O, validation."""

import numpy as np
import pytest

from backend.common import rle
from backend.events.models import Event
from backend.masklets.models import MaskletFrame
from tests.backend.conftest import Team, client_for


def _mask(team: Team, x0: int, x1: int) -> dict:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[5:20, x0:x1] = 1
    return rle.encode(mask)


def _write(client, team: Team, version: int, frames):  # type: ignore[no-untyped-def]
    return client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {"version": version, "frames": frames},
        format="json",
    )


def test_writing_with_a_stale_version_gets_409_and_changes_nothing(team: Team):
    # given: the annotator and the manager both loaded version 1
    annotator, manager = client_for(team.annotator), client_for(team.manager)
    assert (
        _write(annotator, team, 1, [{"frame_index": 0, "rle": _mask(team, 0, 10)}]).status_code
        == 200
    )
    frames_before = list(MaskletFrame.objects.values_list("frame_index", "rle"))
    # when: the manager writes on top of the version they read
    response = _write(
        manager,
        team,
        1,
        [
            {"frame_index": 0, "rle": _mask(team, 30, 40)},
            {"frame_index": 1, "rle": _mask(team, 30, 40)},
        ],
    )
    # then
    assert response.status_code == 409
    body = response.json()
    assert body["extra"] == {"your_version": 1, "current_version": 2}
    assert "reload" in body["message"]
    assert list(MaskletFrame.objects.values_list("frame_index", "rle")) == frames_before


def test_stale_rename_gets_409(team: Team):
    client = client_for(team.annotator)
    url = f"/api/v1/masklets/{team.masklet.pk}/"
    assert client.patch(url, {"version": 1, "name": "a"}, format="json").json()["version"] == 2
    response = client.patch(url, {"version": 1, "name": "b"}, format="json")
    assert response.status_code == 409
    assert client.get(url).json()["name"] == "a"


def test_bulk_write_then_read_by_frame_range(team: Team):
    # given
    client = client_for(team.annotator)
    frames = [{"frame_index": i, "rle": _mask(team, i, i + 10)} for i in range(4)]
    # when
    written = _write(client, team, 1, frames)
    page = client.get(f"/api/v1/masklets/{team.masklet.pk}/frames/?start=1&end=3").json()
    # then
    assert written.json()["version"] == 2
    assert [f["frame_index"] for f in page["results"]] == [1, 2]
    first = page["results"][0]
    assert first["rle"] == frames[1]["rle"]
    assert first["area"] == 15 * 10
    assert first["bbox"] == [1.0, 5.0, 10.0, 15.0]
    assert first["origin"] == "edited"
    event = Event.objects.filter(kind="masklet.frames_written").last()
    assert event.payload["frames"] == [0, 1, 2, 3]


def test_bulk_write_upserts_and_deletes(team: Team):
    client = client_for(team.annotator)
    _write(
        client,
        team,
        1,
        [
            {"frame_index": 0, "rle": _mask(team, 0, 5)},
            {"frame_index": 1, "rle": _mask(team, 0, 5)},
        ],
    )
    response = client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {
            "version": 2,
            "frames": [{"frame_index": 0, "rle": _mask(team, 0, 9)}],
            "delete_frames": [1],
        },
        format="json",
    )
    assert response.status_code == 200
    rows = list(
        MaskletFrame.objects.filter(masklet=team.masklet).values_list("frame_index", "area")
    )
    assert rows == [(0, 15 * 9)]


@pytest.mark.parametrize(
    ("frame", "expected_message"),
    [
        ({"frame_index": 99, "rle": None}, "outside the video"),
        ({"frame_index": 0, "rle": {"size": [10, 10], "counts": "0"}}, "does not match"),
        ({"frame_index": 0, "rle": {"size": [48, 64], "counts": "12"}}, "do not add up"),
    ],
)
def test_bulk_write_with_bad_frames_is_refused_whole(team: Team, frame, expected_message):  # type: ignore[no-untyped-def]
    client = client_for(team.annotator)
    frame = dict(frame)
    if frame["rle"] is None:
        frame["rle"] = _mask(team, 0, 4)
    good = {"frame_index": 1, "rle": _mask(team, 0, 4)}
    response = _write(client, team, 1, [good, frame])
    assert response.status_code == 400
    assert expected_message in response.json()["message"]
    assert not MaskletFrame.objects.exists()
    assert client.get(f"/api/v1/masklets/{team.masklet.pk}/").json()["version"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"frame_index": 0}, "at least one point or a box"),
        ({"frame_index": 0, "points": [[1.5, 0.2, 1]]}, "normalised"),
        ({"frame_index": 0, "points": [[0.5, 0.2, 7]]}, "label must be"),
        ({"frame_index": 0, "box": [0.5, 0.5, 0.2, 0.9]}, "x0 < x1"),
        ({"frame_index": 4, "points": [[0.5, 0.5, 1]]}, "outside the video"),
        ({"frame_index": -1, "points": [[0.5, 0.5, 1]]}, "frame_index"),
    ],
)
def test_prompt_validation_explains_the_problem(team: Team, body, message):  # type: ignore[no-untyped-def]
    response = client_for(team.annotator).post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/", body, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_prompts_are_numbered_in_order(team: Team):
    client = client_for(team.annotator)
    url = f"/api/v1/masklets/{team.masklet.pk}/prompts/add/"
    client.post(url, {"frame_index": 0, "points": [[0.5, 0.5, 1]]}, format="json")
    client.post(
        url,
        {"frame_index": 2, "box": [0.1, 0.1, 0.4, 0.5], "points": [[0.2, 0.2, 0]]},
        format="json",
    )
    listed = client.get(f"/api/v1/masklets/{team.masklet.pk}/prompts/").json()["results"]
    assert [(p["order"], p["frame_index"]) for p in listed] == [(1, 0), (2, 2)]
    assert listed[1]["box"] == [0.1, 0.1, 0.4, 0.5]


def test_annotator_cannot_create_a_masklet_outside_their_task(team: Team):
    response = client_for(team.other_annotator).post(
        f"/api/v1/videos/{team.video.pk}/masklets/create/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "task" in response.json()["message"]


def test_masklet_list_query_count_does_not_grow(team: Team, django_assert_max_num_queries):
    from tests.backend.factories import MaskletFactory

    for _ in range(10):
        MaskletFactory(video=team.video, task=team.task)
    with django_assert_max_num_queries(6):
        response = client_for(team.reviewer).get(f"/api/v1/videos/{team.video.pk}/masklets/")
    assert response.json()["count"] == 11


def test_a_mask_edit_costs_a_fixed_number_of_queries(team: Team, django_assert_num_queries):
    """Every mask edit, click and undo writes through here: the masklet (locked, with its
    membership), its version (compare-and-set, not read back), the frame, the video's SAM 2
    log (its head moved in one statement) and the event. Savepoints: this test's transaction
    and the service's."""
    _write(client_for(team.annotator), team, 1, [{"frame_index": 0, "rle": _mask(team, 0, 3)}])
    with django_assert_num_queries(12):
        response = _write(
            client_for(team.annotator), team, 2, [{"frame_index": 1, "rle": _mask(team, 2, 9)}]
        )
    assert response.status_code == 200, response.json()
    team.masklet.refresh_from_db()
    assert response.json()["version"] == team.masklet.version == 3


def test_events_resume_after_the_last_seen_position(team: Team, django_capture_on_commit_callbacks):
    client = client_for(team.reviewer)
    url = f"/api/v1/projects/{team.project.pk}/events/"
    # events get their position once their transaction committed
    with django_capture_on_commit_callbacks(execute=True):
        _write(client_for(team.annotator), team, 1, [{"frame_index": 0, "rle": _mask(team, 0, 3)}])
    first = client.get(url).json()["results"]
    last_seen = first[-1]["seq"]
    with django_capture_on_commit_callbacks(execute=True):
        _write(client_for(team.annotator), team, 2, [{"frame_index": 1, "rle": _mask(team, 0, 3)}])
    resumed = client.get(f"{url}?after={last_seen}").json()["results"]
    assert [e["kind"] for e in resumed] == ["masklet.frames_written"]
    assert resumed[0]["seq"] > last_seen


def test_masklet_frame_count_counts_only_frames_with_a_non_empty_mask(team: Team):
    # given: two masks, then two empty ones (as propagation stores where the object is gone)
    client = client_for(team.annotator)
    empty = rle.encode(np.zeros((team.video.height, team.video.width), np.uint8))
    frames = [{"frame_index": i, "rle": _mask(team, 1, 9)} for i in (0, 1)]
    frames += [{"frame_index": i, "rle": empty} for i in (2, 3)]
    assert _write(client, team, 1, frames).status_code == 200
    # when
    listed = client.get(f"/api/v1/videos/{team.video.pk}/masklets/").json()["results"]
    in_project = client.get(f"/api/v1/projects/{team.project.pk}/masklets/").json()["results"]
    # then
    assert [m["frame_count"] for m in listed] == [2]
    assert [m["frame_count"] for m in in_project] == [2]
