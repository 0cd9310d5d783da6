"""GET /videos/{id}/workspace/: a workspace opens with one request, whatever its masklets."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.common import rle
from backend.events.models import Event
from backend.masklets import workspace
from backend.masklets.models import Masklet, MaskletFrame, Prompt
from backend.projects.enums import Role
from backend.projects.models import Project
from backend.reviews.models import ReviewComment
from backend.videos.services import video_update
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory, MembershipFactory, TaskFactory, UserFactory


def _annotate(team: Team, masklet: Masklet, frames: range) -> None:
    for index in frames:
        mask = np.zeros((team.video.height, team.video.width), np.uint8)
        mask[2 : 4 + index, 3:9] = 1
        encoded = rle.encode(mask)
        MaskletFrame.objects.create(
            masklet=masklet,
            frame_index=index,
            rle=encoded,
            area=int(mask.sum()),
            bbox=[3.0, 2.0, 6.0, float(2 + index)],
            origin="click" if index == 0 else "propagated",
            score=0.9,
        )
    Prompt.objects.create(
        masklet=masklet, frame_index=frames.start, points=[[0.5, 0.5, 1]], order=1
    )


def _masklets(team: Team, count: int) -> list[Masklet]:
    made = [team.masklet] + [
        MaskletFactory(video=team.video, task=team.task, label=team.label) for _ in range(count - 1)
    ]
    for masklet in made:
        _annotate(team, masklet, range(team.video.frame_count))
    return made


def _get(team: Team, user, query: str = ""):  # type: ignore[no-untyped-def]
    return client_for(user).get(f"/api/v1/videos/{team.video.pk}/workspace/{query}")


def test_the_bundle_holds_masklets_masks_prompts_pins_and_the_event_cursor(
    team: Team, django_capture_on_commit_callbacks
):
    # given: an event of the video, given its log position once committed
    _masklets(team, 2)
    ReviewComment.objects.create(
        masklet=team.masklet, author=team.reviewer, frame_index=2, text="edge", resolved=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        video_update(video=team.video, actor=team.manager, data={"split": "val"})
    cursor = Event.objects.filter(video=team.video).order_by("-seq").first().seq
    assert cursor is not None
    # when
    body = _get(team, team.annotator).json()
    # then
    assert body["cursor"] == cursor
    assert [m["id"] for m in body["masklets"]] == sorted(
        Masklet.objects.filter(video=team.video).values_list("pk", flat=True)
    )
    assert (body["frame_start"], body["frame_end"], body["next_start"]) == (0, 4, None)
    assert len(body["masks"]) == 2 * team.video.frame_count
    first = body["masks"][0]
    stored = MaskletFrame.objects.get(masklet=team.masklet, frame_index=0)
    assert first == {
        "masklet": team.masklet.pk,
        "frame_index": 0,
        "rle": stored.rle,
        "origin": "click",
        "score": 0.9,
        "area": stored.area,
        "bbox": stored.bbox,
    }
    assert [(p["masklet"], p["frame_index"]) for p in body["prompts"]][0] == (team.masklet.pk, 0)
    assert body["pins"] == [{"masklet": team.masklet.pk, "frame_index": 2, "resolved": False}]


@pytest.mark.parametrize("role", ["manager", "reviewer"])
def test_opening_costs_the_same_queries_for_2_or_25_masklets(team: Team, role: str):
    # given
    _masklets(team, 2)
    client = client_for(team.user(role))
    url = f"/api/v1/videos/{team.video.pk}/workspace/"
    client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # when
    for _ in range(23):
        masklet = MaskletFactory(video=team.video, task=team.task)
        _annotate(team, masklet, range(team.video.frame_count))
        ReviewComment.objects.create(masklet=masklet, author=team.reviewer, frame_index=1, text="x")
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).json()
    # then
    assert len(body["masklets"]) == 25
    assert len(body["masks"]) == 25 * team.video.frame_count
    assert len(many.captured_queries) == len(few.captured_queries), [
        q["sql"][:120] for q in many.captured_queries
    ]
    # the video with its project and the reader's role, the event cursor, the masklets, their
    # frame counts, the masks, the prompts, the pins
    assert len(many.captured_queries) == 7, [q["sql"][:120] for q in many.captured_queries]


def test_a_large_video_comes_in_frame_ranges_each_mask_once(
    team: Team, monkeypatch: pytest.MonkeyPatch
):
    # given: 3 masklets x 4 frames, at most 5 masks per answer
    _masklets(team, 3)
    monkeypatch.setattr(workspace, "MAX_MASKS_PER_BUNDLE", 5)
    seen: list[tuple[int, int]] = []
    ranges = []
    start: int | None = 1  # the annotator looks at frame 1 first
    # when
    while start is not None:
        body = _get(team, team.manager, f"?start={start}").json()
        ranges.append((body["frame_start"], body["frame_end"]))
        assert len(body["masks"]) <= 5
        assert all(
            body["frame_start"] <= m["frame_index"] < body["frame_end"] for m in body["masks"]
        )
        seen += [(m["masklet"], m["frame_index"]) for m in body["masks"]]
        start = body["next_start"]
    body = _get(team, team.manager, "?start=0&end=1").json()
    seen += [(m["masklet"], m["frame_index"]) for m in body["masks"]]
    # then
    assert ranges == [(1, 2), (2, 3), (3, 4)]
    assert (body["frame_end"], body["next_start"]) == (1, 1)
    assert sorted(seen) == sorted(MaskletFrame.objects.values_list("masklet_id", "frame_index"))


def test_a_bounded_range_says_where_the_rest_begins(team: Team):
    _masklets(team, 1)
    body = _get(team, team.annotator, "?start=1&end=3").json()
    assert (body["frame_start"], body["frame_end"], body["next_start"]) == (1, 3, 3)
    assert sorted(m["frame_index"] for m in body["masks"]) == [1, 2]


@pytest.mark.parametrize(
    ("query", "field"), [("?start=3&end=2", "non_field_errors"), ("?start=4", "start")]
)
def test_a_range_outside_the_video_is_a_clear_400(team: Team, query: str, field: str):
    response = _get(team, team.annotator, query)
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]


def test_consensus_annotators_get_only_their_own_masklets_prompts_and_pins(team: Team):
    # given: two annotators label the video independently
    Project.objects.filter(pk=team.project.pk).update(consensus_k=2)
    mine = team.masklet
    other_task = TaskFactory(project=team.project, video=team.video, assignee=team.other_annotator)
    theirs = MaskletFactory(video=team.video, task=other_task)
    for masklet in (mine, theirs):
        _annotate(team, masklet, range(2))
        ReviewComment.objects.create(masklet=masklet, author=team.reviewer, frame_index=1, text="x")
    # when
    body = _get(team, team.annotator).json()
    # then
    assert [m["id"] for m in body["masklets"]] == [mine.pk]
    assert {m["masklet"] for m in body["masks"]} == {mine.pk}
    assert {p["masklet"] for p in body["prompts"]} == {mine.pk}
    assert {p["masklet"] for p in body["pins"]} == {mine.pk}
    assert len(_get(team, team.reviewer).json()["masklets"]) == 2


def test_outsiders_and_strangers_get_nothing(team: Team):
    assert _get(team, team.outsider).status_code == 404
    assert _get(team, None).status_code == 403
    stranger = UserFactory()
    MembershipFactory(user=stranger, role=Role.ANNOTATOR)
    assert _get(team, stranger).status_code == 404


def test_an_empty_video_has_a_zero_cursor(team: Team):
    assert not Event.objects.filter(video=team.video).exists()
    body = _get(team, team.annotator).json()
    assert body["cursor"] == 0
    assert (body["masks"], body["prompts"], body["pins"]) == ([], [], [])
