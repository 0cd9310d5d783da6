"""Frames and frame chunks as the browser gets them: whole bodies, exact bytes, cached chunks."""

import asyncio

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings

from backend.videos import delivery
from backend.videos.enums import VideoStatus
from backend.videos.models import Video
from backend.videos.services import video_delete
from tests.backend.conftest import Team, client_for
from tests.backend.factories import make_ready_video
from tests.backend.videos.chunks import unpack as _unpack


def _stored_frame(video: Video, index: int) -> bytes:
    with default_storage.open(video.frame_path(index), "rb") as fh:
        return fh.read()


def test_a_frame_is_sent_whole_with_its_length(team: Team):
    response = client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/frames/1.jpg")
    assert response.status_code == 200
    assert response.content == _stored_frame(team.video, 1)
    assert int(response["Content-Length"]) == len(response.content) > 0
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]


def test_an_empty_frame_file_is_a_500_in_words_never_an_empty_200(team: Team):
    default_storage.save(team.video.frame_path(1), ContentFile(b""))
    response = client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/frames/1.jpg")
    assert response.status_code == 500
    assert "empty" in response.json()["message"]


@override_settings(FRAMES_ACCEL_REDIRECT=True)
def test_accel_redirect_only_when_the_proxy_says_it_serves_it(team: Team):
    # given: the setting on, as in docker-compose, but uvicorn reached directly
    client = client_for(team.reviewer)
    url = f"/api/v1/videos/{team.video.pk}/frames/2.jpg"
    # when / then: without nginx's header the bytes come from Django (no empty 200)
    direct = client.get(url)
    assert direct.status_code == 200
    assert "X-Accel-Redirect" not in direct
    assert direct.content == _stored_frame(team.video, 2)
    # when / then: through nginx, nginx sends the file
    proxied = client.get(url, HTTP_X_SENDFILE_TYPE="X-Accel-Redirect")
    assert proxied["X-Accel-Redirect"] == f"/protected-media/{team.video.frame_path(2)}"


@pytest.mark.django_db(transaction=True)
def test_concurrent_frame_requests_under_asgi_all_get_the_whole_jpeg(team: Team):
    """The web process is ASGI (uvicorn); 48 requests at once over 4 frames, as a scrubbing
    team makes them, each body must be exactly the stored JPEG."""
    from backend.config.asgi import application

    # given
    video = make_ready_video(team.project, frames=4, width=640, height=360)
    browser = Client()
    browser.force_login(team.annotator)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    expected = {i: _stored_frame(video, i) for i in range(4)}

    async def get(index: int) -> tuple[int, bytes]:
        sent: list[dict] = []
        requested: list[bool] = []

        async def receive():  # type: ignore[no-untyped-def]
            if not requested:
                requested.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(3600)  # no disconnect: the client waits for the whole body
            return {"type": "http.disconnect"}

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/api/v1/videos/{video.pk}/frames/{index}.jpg",
            "query_string": b"",
            "headers": [(b"cookie", cookie), (b"host", b"testserver")],
        }
        await application(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], body

    async def all_of_them() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(get(i % 4) for i in range(48)))

    # when
    answers = asyncio.run(all_of_them())
    # then
    for i, (status, body) in enumerate(answers):
        assert status == 200
        assert body == expected[i % 4], f"request {i} got {len(body)} bytes"


def _image(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_a_chunk_holds_its_frames_in_order(team: Team):
    # given: a video two chunks long, the second one partial; each frame a different grey
    video = make_ready_video(team.project, frames=delivery.FRAMES_PER_CHUNK + 3)
    client = client_for(team.reviewer)
    # when
    first = client.get(f"/api/v1/videos/{video.pk}/frames/chunks/0.sfc")
    last = client.get(f"/api/v1/videos/{video.pk}/frames/chunks/1.sfc")
    # then: frame i of the chunk is frame i of the video (small: kept at its size)
    assert first.status_code == last.status_code == 200
    assert "immutable" in first["Cache-Control"]
    for body, start, count in (
        (first, 0, delivery.FRAMES_PER_CHUNK),
        (last, delivery.FRAMES_PER_CHUNK, 3),
    ):
        first_frame, frames = _unpack(body.content)
        assert (first_frame, len(frames)) == (start, count)
        for k, jpeg in enumerate(frames):
            stored = _image(_stored_frame(video, start + k))
            assert np.abs(_image(jpeg).astype(int) - stored.astype(int)).mean() < 3


def test_a_chunk_of_a_large_video_holds_its_frames_at_scrubbing_size(team: Team):
    video = make_ready_video(team.project, frames=2, width=1920, height=1080)
    body = client_for(team.annotator).get(f"/api/v1/videos/{video.pk}/frames/chunks/0.sfc")
    _start, frames = _unpack(body.content)
    small = _image(frames[1])
    assert small.shape == (540, 960, 3)
    full = cv2.resize(_image(_stored_frame(video, 1)), (960, 540), interpolation=cv2.INTER_AREA)
    assert np.abs(small.astype(int) - full.astype(int)).mean() < 3
    assert len(frames[1]) < len(_stored_frame(video, 1))


def test_a_chunk_past_the_end_is_404_and_a_processing_video_409(team: Team):
    client = client_for(team.annotator)
    assert client.get(f"/api/v1/videos/{team.video.pk}/frames/chunks/1.sfc").status_code == 404
    Video.objects.filter(pk=team.video.pk).update(status=VideoStatus.PROCESSING)
    response = client.get(f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc")
    assert response.status_code == 409
    assert response.json()["extra"] == {"status": "processing"}


def test_a_chunk_is_built_once_then_read_from_storage(team: Team):
    # given: no chunk stored yet (a video ingested before chunks existed)
    name = delivery.chunk_path(team.video, 0)
    assert not default_storage.exists(name)
    client = client_for(team.annotator)
    # when
    built = client.get(f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc").content
    # then: it is kept, and the stored one is what later requests get
    with default_storage.open(name, "rb") as fh:
        assert fh.read() == built
    default_storage.delete(team.video.frame_path(0))  # a rebuild would now fail
    again = client.get(f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc")
    assert again.status_code == 200
    assert again.content == built


def test_a_partly_written_chunk_in_storage_is_rebuilt_not_served(team: Team):
    # given: a chunk file cut short (another request still writing it)
    whole = delivery.chunk_build(team.video, 0)
    default_storage.save(delivery.chunk_path(team.video, 0), ContentFile(whole[: len(whole) // 2]))
    # when
    response = client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc")
    # then
    assert response.content == whole


@override_settings(FRAMES_ACCEL_REDIRECT=True)
def test_a_chunk_behind_nginx_is_stored_then_handed_to_nginx(team: Team):
    response = client_for(team.annotator).get(
        f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc",
        HTTP_X_SENDFILE_TYPE="X-Accel-Redirect",
    )
    name = delivery.chunk_path(team.video, 0)
    assert response["X-Accel-Redirect"] == f"/protected-media/{name}"
    with default_storage.open(name, "rb") as fh:
        assert _unpack(fh.read())[0] == 0


def test_the_video_says_where_its_chunks_are(team: Team):
    body = client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/").json()
    assert body["chunk_size"] == delivery.FRAMES_PER_CHUNK
    template = f"/api/v1/videos/{team.video.pk}/frames/chunks/{{chunk}}.sfc"
    assert body["chunk_url_template"] == template


def test_deleting_a_video_removes_its_chunks(team: Team, django_capture_on_commit_callbacks):
    client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/frames/chunks/0.sfc")
    name = delivery.chunk_path(team.video, 0)
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        video_delete(video=team.video, actor=team.manager)
    assert not default_storage.exists(name)
    assert not default_storage.exists(team.video.frame_path(0))
