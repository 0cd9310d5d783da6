"""Dashboard numbers on a small hand-built project (every expected value counted by hand)."""

import csv
import datetime
import io

import numpy as np
import pytest
from django.utils import timezone

from backend.common import rle as rle_codec
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame, Prompt
from backend.projects.models import Task
from backend.quality import metrics
from backend.quality.models import ActivityRecord
from backend.reviews.enums import StatusAction, Verdict
from backend.reviews.models import MaskletStatusChange, Review
from tests.backend.conftest import client_for
from tests.backend.factories import make_ready_video
from tests.backend.quality.conftest import add_masklet, square

EMPTY = rle_codec.encode(np.zeros((48, 64), np.uint8))
SQUARE = rle_codec.encode(square(5, 5))
SHIFTED = metrics.masklet_scores({0: square(5, 5)}, {0: square(5, 7)})


def _frames(masklet, origins, empty=()):
    """One mask per origin on frames 0, 1, ...; the frames in ``empty`` get an empty mask."""
    for index, origin in enumerate(origins):
        rle = EMPTY if index in empty else SQUARE
        MaskletFrame.objects.create(
            masklet=masklet,
            frame_index=index,
            rle=rle,
            area=rle_codec.area(rle),
            bbox=rle_codec.bbox(rle),
            origin=origin,
        )


def _click(masklet, author, *, order=None, failed=False):
    """A click as the log has it; with ``order`` its prompt is still stored (not undone)."""
    video = masklet.video
    payload = {"masklet": masklet.pk, "prompt": 0, "frame_index": 0}
    for kind in [EventKind.PROMPT_ADDED] + ([EventKind.PROMPT_FAILED] if failed else []):
        event_record(
            project_id=video.project_id,
            video_id=video.pk,
            kind=kind,
            actor_id=author.pk,
            payload=payload,
        )
    if order is not None:
        Prompt.objects.create(
            masklet=masklet, frame_index=0, points=[[0.5, 0.5, 1]], order=order, author=author
        )


@pytest.fixture
def project(team):
    """annotator: team.masklet (draft; frames click, edited, imported; 3 clicks kept, 1 undone,
    1 that SAM 2 failed), m2 (accepted, 1 propagated frame yesterday and 1 empty propagated
    one), a ground-truth copy and a consensus masklet.
    other_annotator: m3 (rejected, 2 click frames, 1 click) and a consensus masklet.
    manager: one ground-truth masklet."""
    team.project.consensus_k = 2
    team.project.save()
    # Each on a video of their own: two assignees on one video would make it a consensus video.
    other_video = make_ready_video(team.project, frames=2)
    other_task = Task.objects.create(
        project=team.project, video=other_video, assignee=team.other_annotator
    )
    _frames(team.masklet, [FrameOrigin.CLICK, FrameOrigin.EDITED, FrameOrigin.IMPORTED])
    m2 = Masklet.objects.create(
        video=team.video, task=team.task, created_by=team.annotator, status=MaskletStatus.ACCEPTED
    )
    _frames(m2, [FrameOrigin.PROPAGATED, FrameOrigin.PROPAGATED], empty={1})
    yesterday = timezone.now() - datetime.timedelta(days=1)
    MaskletFrame.objects.filter(masklet=m2).update(created_at=yesterday)
    m3 = Masklet.objects.create(video=other_video, task=other_task, status=MaskletStatus.REJECTED)
    _frames(m3, [FrameOrigin.CLICK, FrameOrigin.CLICK])
    long_ago = timezone.now() - datetime.timedelta(days=10)
    MaskletFrame.objects.filter(masklet=m3, frame_index=1).update(created_at=long_ago)
    for order in (1, 2, 3):
        _click(team.masklet, team.annotator, order=order)
    _click(team.masklet, team.annotator)  # undone
    _click(team.masklet, team.annotator, failed=True)
    _click(m3, team.other_annotator, order=1)
    for user, seconds in ((team.annotator, 120), (team.annotator, 60), (team.other_annotator, 30)):
        ActivityRecord.objects.create(
            user=user, project=team.project, video=other_video, seconds=seconds
        )
    for masklet, verdict in (
        (m2, Verdict.SATISFACTORY),
        (team.masklet, Verdict.UNSATISFACTORY),
        (m3, Verdict.UNSATISFACTORY),
    ):
        Review.objects.create(
            masklet=masklet, reviewer=team.reviewer, round=1, masklet_version=1, verdict=verdict
        )
    for to_status, action in (
        (MaskletStatus.SUBMITTED, StatusAction.SUBMITTED),
        (MaskletStatus.ACCEPTED, StatusAction.ACCEPTED),
    ):
        MaskletStatusChange.objects.create(
            masklet=m2, from_status="draft", to_status=to_status, action=action, actor=team.reviewer
        )
    # Ground truth: the annotator's copy is perfect.
    gt_video = make_ready_video(team.project, frames=1)
    gt_task = Task.objects.create(project=team.project, video=gt_video, assignee=team.annotator)
    add_masklet(gt_video, {0: square(5, 5)}, created_by=team.manager, is_ground_truth=True)
    add_masklet(gt_video, {0: square(5, 5)}, task=gt_task, origin=FrameOrigin.IMPORTED)
    # Consensus: both annotators labelled one object, 2 px apart.
    c_video = make_ready_video(team.project, frames=1)
    for user, x in ((team.annotator, 5), (team.other_annotator, 7)):
        task = Task.objects.create(project=team.project, video=c_video, assignee=user)
        add_masklet(c_video, {0: square(5, x)}, task=task, origin=FrameOrigin.IMPORTED)
    return team


def _get(team, user, query=""):
    return client_for(user).get(f"/api/v1/projects/{team.project.pk}/dashboard/{query}")


def test_dashboard_numbers(project):
    team = project
    response = _get(team, team.manager, "?days=3")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status_counts"] == {
        "draft": 5,
        "submitted": 0,
        "accepted": 1,
        "rejected": 1,
        "reworked": 0,
    }
    # Totals cover every masklet, the manager's ground truth (one edited frame) included.
    assert body["totals"] == {
        "masklets": 7,
        "frames_annotated": 6,
        "clicks": 5,
        "active_seconds": 210,
        "reviews": 3,
        "unsatisfactory": 2,
    }
    rows = {row["user"]["username"]: row for row in body["annotators"]}
    assert list(rows) == ["annotator", "other_annotator"]
    annotator = rows["annotator"]
    assert annotator["user"] == {"id": team.annotator.pk, "username": "annotator"}
    assert {k: v for k, v in annotator.items() if k not in ("user", "agreement_jf")} == {
        "masklets": 4,
        "accepted": 1,
        "rejected": 1,
        "frames_annotated": 3,
        "clicks": 4,
        "clicks_per_masklet": 1.0,
        "active_seconds": 180,
        "seconds_per_frame": 60.0,
        "rejection_rate": 0.5,
        "ground_truth_jf": 1.0,
    }
    assert annotator["agreement_jf"] == pytest.approx(SHIFTED.jf)
    other = rows["other_annotator"]
    assert {k: v for k, v in other.items() if k not in ("user", "agreement_jf")} == {
        "masklets": 2,
        "accepted": 0,
        "rejected": 1,
        "frames_annotated": 2,
        "clicks": 1,
        "clicks_per_masklet": 0.5,
        "active_seconds": 30,
        "seconds_per_frame": 15.0,
        "rejection_rate": 1.0,
        "ground_truth_jf": None,
    }
    assert other["agreement_jf"] == pytest.approx(SHIFTED.jf)
    today = timezone.localdate()
    assert body["throughput"] == [
        {
            "date": (today - datetime.timedelta(days=2)).isoformat(),
            "frames_annotated": 0,
            "submitted": 0,
            "accepted": 0,
        },
        {
            "date": (today - datetime.timedelta(days=1)).isoformat(),
            "frames_annotated": 1,
            "submitted": 0,
            "accepted": 0,
        },
        {"date": today.isoformat(), "frames_annotated": 4, "submitted": 1, "accepted": 1},
    ]


def test_dashboard_for_one_annotator(project):
    team = project
    body = _get(team, team.reviewer, f"?annotator={team.other_annotator.pk}").json()
    assert body["status_counts"]["draft"] == 1
    assert body["status_counts"]["rejected"] == 1
    assert body["totals"] == {
        "masklets": 2,
        "frames_annotated": 2,
        "clicks": 1,
        "active_seconds": 30,
        "reviews": 1,
        "unsatisfactory": 1,
    }
    assert [row["user"]["username"] for row in body["annotators"]] == ["other_annotator"]
    assert len(body["throughput"]) == 30


def test_dashboard_of_an_empty_project_has_null_ratios(team):
    body = _get(team, team.manager).json()
    (row,) = [r for r in body["annotators"] if r["user"]["username"] == "other_annotator"]
    assert row["masklets"] == 0
    for key in (
        "clicks_per_masklet",
        "seconds_per_frame",
        "rejection_rate",
        "agreement_jf",
        "ground_truth_jf",
    ):
        assert row[key] is None


@pytest.mark.parametrize("query", ["?days=0", "?days=366", "?days=x", "?annotator=999999"])
def test_dashboard_bad_filters_are_400(team, query):
    response = _get(team, team.manager, query)
    assert response.status_code == 400
    assert response.json()["message"]


def test_dashboard_outsider_as_annotator_filter_is_400(team):
    response = _get(team, team.manager, f"?annotator={team.outsider.pk}")
    assert response.status_code == 400
    assert response.json()["extra"] == {"field": "annotator"}


def test_dashboard_permissions(team):
    assert _get(team, team.manager).status_code == 200
    assert _get(team, team.reviewer).status_code == 200
    assert _get(team, team.annotator).status_code == 403
    assert _get(team, team.outsider).status_code == 404
    assert _get(team, None).status_code in (401, 403)
    csv_url = f"/api/v1/projects/{team.project.pk}/dashboard.csv"
    assert client_for(team.annotator).get(csv_url).status_code == 403
    assert client_for(team.outsider).get(csv_url).status_code == 404


def test_dashboard_csv(project):
    team = project
    response = client_for(team.manager).get(f"/api/v1/projects/{team.project.pk}/dashboard.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="project-{team.project.pk}-annotators.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "user_id",
        "username",
        "masklets",
        "accepted",
        "rejected",
        "frames_annotated",
        "clicks",
        "clicks_per_masklet",
        "active_seconds",
        "seconds_per_frame",
        "rejection_rate",
        "agreement_jf",
        "ground_truth_jf",
    ]
    assert len(rows) == 3
    annotator, other = rows[1], rows[2]
    assert annotator[:11] == [
        str(team.annotator.pk),
        "annotator",
        "4",
        "1",
        "1",
        "3",
        "4",
        "1.0",
        "180",
        "60.0",
        "0.5",
    ]
    assert float(annotator[11]) == pytest.approx(SHIFTED.jf)
    assert annotator[12] == "1.0"
    assert other[1] == "other_annotator"
    assert other[12] == ""  # no ground-truth score


def test_dashboard_reads_cached_scores(project, django_assert_max_num_queries):
    team = project
    _get(team, team.manager)
    with django_assert_max_num_queries(40) as captured:
        assert _get(team, team.manager).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    # Frames are counted (COUNT) but never read back for decoding: the scores come cached.
    assert not any('"rle"' in q for q in sql)
