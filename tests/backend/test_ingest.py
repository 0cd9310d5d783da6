"""Video ingest through the API: real clips end to end, and every kind of broken file."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from backend.events.models import Event
from backend.videos import delivery
from backend.videos.enums import VideoStatus
from backend.videos.models import Video
from tests.backend.conftest import Team, client_for
from tests.backend.videos.chunks import unpack as unpack_chunk
from tests.conftest import FIXTURES

VIDEOS = FIXTURES / "videos"


def _opencv_facts(path: Path) -> tuple[int, int, int]:
    capture = cv2.VideoCapture(str(path))
    frames = 0
    while capture.read()[0]:
        frames += 1
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    return size[0], size[1], frames


def _upload(team: Team, name: str, content: bytes, capture):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    with capture(execute=True):
        return client_for(team.manager).post(
            f"/api/v1/projects/{team.project.pk}/videos/upload/",
            {"file": SimpleUploadedFile(name, content, content_type="video/mp4")},
            format="multipart",
        )


def _stored_files() -> set[str]:
    found: set[str] = set()

    def walk(prefix: str) -> None:
        try:
            dirs, files = default_storage.listdir(prefix)
        except FileNotFoundError:
            return
        found.update(f"{prefix}/{f}" for f in files)
        for d in dirs:
            walk(f"{prefix}/{d}" if prefix else d)

    walk("")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("clip", ["08_driving.mp4", "21_biker.mp4"])
def test_upload_of_a_real_video_extracts_every_frame(
    team: Team, clip: str, django_capture_on_commit_callbacks
):
    # given
    path = VIDEOS / clip
    width, height, frames = _opencv_facts(path)
    # when
    response = _upload(team, clip, path.read_bytes(), django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 201, response.content
    video = Video.objects.get(pk=response.json()["id"])
    assert (video.status, video.width, video.height, video.frame_count) == (
        VideoStatus.READY,
        width,
        height,
        frames,
    )
    assert len(video.checksum) == 64
    client = client_for(team.annotator)
    last = client.get(f"/api/v1/videos/{video.pk}/frames/{frames - 1}.jpg")
    assert last.status_code == 200
    assert "immutable" in last["Cache-Control"]
    image = cv2.imdecode(__import__("numpy").frombuffer(last.content, "uint8"), cv2.IMREAD_COLOR)
    assert image.shape == (height, width, 3)
    # Ingest wrote the chunks too: the last one ends with the last frame, at scrubbing size.
    last_chunk = (frames - 1) // delivery.FRAMES_PER_CHUNK
    with default_storage.open(delivery.chunk_path(video, last_chunk), "rb") as fh:
        first, jpegs = unpack_chunk(fh.read())
    assert first + len(jpegs) == frames
    small = cv2.imdecode(np.frombuffer(jpegs[-1], np.uint8), cv2.IMREAD_COLOR)
    expected = cv2.resize(image, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    assert small.shape[1] == min(width, delivery.SCRUB_MAX_SIDE)
    assert np.abs(small.astype(int) - expected.astype(int)).mean() < 8
    assert client.get(f"/api/v1/videos/{video.pk}/frames/{frames}.jpg").status_code == 404
    kinds = list(Event.objects.filter(video=video).values_list("kind", flat=True))
    assert kinds[0] == "video.uploaded"
    assert kinds[1] == "video.processing"
    assert kinds[-1] == "video.ready"
    assert "video.progress" in kinds


def _truncated_mp4() -> bytes:
    data = (VIDEOS / "08_driving.mp4").read_bytes()
    return data[: len(data) // 3]


BROKEN = {
    "text renamed .mp4": b"This is a text file, not a video.\n" * 20,
    "zero bytes": b"",
    "truncated mp4": _truncated_mp4(),
    "random bytes": bytes(range(256)) * 64,
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_upload_of_a_broken_file_is_refused_and_leaves_nothing(
    team: Team, kind: str, django_capture_on_commit_callbacks
):
    # given
    videos_before, files_before = Video.objects.count(), _stored_files()
    events_before = Event.objects.count()
    # when
    response = _upload(team, "clip.mp4", BROKEN[kind], django_capture_on_commit_callbacks)
    # then
    assert response.status_code in (400, 422), response.content
    assert response.json()["message"]
    assert Video.objects.count() == videos_before
    assert Event.objects.count() == events_before
    assert _stored_files() == files_before


def test_upload_of_a_video_with_zero_frames_is_refused(
    team: Team, tmp_path, django_capture_on_commit_callbacks
):
    # given: a valid MP4 container written by OpenCV with no frame in it
    path = tmp_path / "empty.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 24, (64, 48))
    writer.release()
    # when
    response = _upload(team, "empty.mp4", path.read_bytes(), django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 422
    assert Video.objects.filter(project=team.project).count() == 1  # the fixture's only


def test_upload_without_a_file_is_a_clear_400(team: Team):
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/videos/upload/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["message"]


@override_settings(MAX_UPLOAD_BYTES=100_000)
def test_upload_over_the_size_limit_gets_413_and_leaves_nothing(
    team: Team, django_capture_on_commit_callbacks
):
    files_before = _stored_files()
    response = _upload(
        team, "big.mp4", (VIDEOS / "21_biker.mp4").read_bytes(), django_capture_on_commit_callbacks
    )
    assert response.status_code == 413
    assert "MAX_UPLOAD_BYTES" in response.json()["message"]
    assert _stored_files() == files_before


def test_server_side_import_outside_allowed_folders_is_forbidden(team: Team):
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/videos/import/", {"path": "/etc/passwd"}, format="json"
    )
    assert response.status_code == 403


def test_frames_of_a_video_still_processing_are_not_served(team: Team):
    Video.objects.filter(pk=team.video.pk).update(status=VideoStatus.PROCESSING)
    response = client_for(team.manager).get(f"/api/v1/videos/{team.video.pk}/frames/0.jpg")
    assert response.status_code == 409


@override_settings(FRAMES_ACCEL_REDIRECT=True)
def test_frames_are_handed_to_nginx_after_the_permission_check(team: Team):
    response = client_for(team.reviewer).get(
        f"/api/v1/videos/{team.video.pk}/frames/2.jpg", HTTP_X_SENDFILE_TYPE="X-Accel-Redirect"
    )
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{team.video.frame_path(2)}"
