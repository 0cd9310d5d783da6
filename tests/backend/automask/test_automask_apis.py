"""Auto-annotation requests: who may start one, what is refused, which key frames a job
gets; and the de-duplication rule on plain masks."""

import numpy as np
import pytest

from backend.automask.dedup import select_new_masks
from backend.automask.models import AutoMaskJob
from backend.common import rle
from backend.jobs.enums import JobStatus
from tests.backend.conftest import Team, client_for
from tests.backend.factories import make_ready_video


def _create(user, video, **body):  # type: ignore[no-untyped-def]
    return client_for(user).post(f"/api/v1/videos/{video.pk}/automask/create/", body, format="json")


@pytest.fixture
def video(team: Team):  # type: ignore[no-untyped-def]
    return make_ready_video(team.project, frames=50)


def test_only_a_manager_starts_auto_annotation(team: Team, video):
    # when: an annotator, a reviewer and an outsider try
    # then: refused; a manager's request queues a job with the generator's defaults
    assert _create(team.annotator, video).status_code == 403
    assert _create(team.reviewer, video).status_code == 403
    assert _create(team.outsider, video).status_code in (403, 404)
    response = _create(team.manager, video)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == JobStatus.QUEUED
    assert body["key_frames"] == [0]
    assert body["settings"]["points_per_side"] == 32
    assert body["settings"]["pred_iou_thresh"] == pytest.approx(0.8)
    assert body["counts"]["proposed"] == 0
    # and anyone in the project follows it, through its own API and the jobs API
    job_id = body["id"]
    assert client_for(team.annotator).get(f"/api/v1/automask/{job_id}/").status_code == 200
    assert client_for(team.reviewer).get(f"/api/v1/jobs/{job_id}/").json()["kind"] == "automask"
    listed = client_for(team.reviewer).get(f"/api/v1/videos/{video.pk}/automask/").json()
    assert [j["id"] for j in listed["results"]] == [job_id]


def test_key_frames_every_n_seconds_and_listed(team: Team, video):
    # given: a 50-frame video at the factory's frame rate
    every = _create(team.manager, video, key_frame_mode="every", every_s=0.5).json()
    step = max(1, round(0.5 * video.fps))
    assert every["key_frames"] == list(range(0, 50, step))
    client_for(team.manager).post(f"/api/v1/automask/{every['id']}/cancel/")
    listed = _create(team.manager, video, key_frame_mode="listed", frames=[30, 3, 30]).json()
    assert listed["key_frames"] == [3, 30]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"key_frame_mode": "listed", "frames": [50]}, 400),
        ({"key_frame_mode": "listed"}, 400),
        ({"key_frame_mode": "every"}, 400),
        ({"settings": {"points_per_side": 0}}, 400),
        (
            {
                "settings": {
                    "points_per_side": 2,
                    "crop_n_layers": 2,
                    "crop_n_points_downscale_factor": 2,
                }
            },
            400,
        ),
        ({"settings": {"pred_iou_thresh": 1.5}}, 400),
        ({"max_masklets": 0}, 400),
        ({"dedup_iou": "high"}, 400),
    ],
)
def test_bad_requests_are_refused_with_the_reason(team: Team, video, body, status):
    response = _create(team.manager, video, **body)
    assert response.status_code == status
    assert "message" in response.json()
    assert not AutoMaskJob.objects.exists()


def test_one_auto_annotation_per_video_at_a_time(team: Team, video):
    first = _create(team.manager, video).json()
    # when: a second one is asked while the first is queued
    second = _create(team.manager, video)
    # then: refused, naming the running job; after a cancel a new one may start
    assert second.status_code == 409
    assert second.json()["extra"]["jobs"] == [first["id"]]
    cancelled = client_for(team.manager).post(f"/api/v1/automask/{first['id']}/cancel/")
    assert cancelled.json()["status"] == JobStatus.CANCELLED
    assert (
        client_for(team.annotator).post(f"/api/v1/automask/{first['id']}/cancel/").status_code
        == 403
    )
    assert _create(team.manager, video).status_code == 201


def _square(x: int, y: int, size: int) -> rle.Rle:
    mask = np.zeros((40, 40), np.uint8)
    mask[y : y + size, x : x + size] = 1
    return rle.encode(mask)


def test_dedup_skips_covered_masks_and_repeats_then_caps():
    existing = [_square(0, 0, 10)]
    candidates = [
        _square(1, 1, 10),  # IoU 81/119 with the existing one: covered
        _square(20, 20, 10),  # new
        _square(21, 20, 10),  # repeats the one just chosen
        _square(0, 25, 8),  # new
        _square(30, 0, 8),  # new, but over the cap
        rle.encode(np.zeros((40, 40), np.uint8)),  # empty
    ]
    selection = select_new_masks(
        candidates=candidates, existing=existing, iou_threshold=0.5, room=2
    )
    assert selection.chosen == [1, 3]
    assert selection.duplicates == 3
    assert selection.over_cap == 1
