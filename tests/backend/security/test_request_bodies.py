"""Request bodies at the ASGI level (backend/api/request_body.py): uploads are refused before
any of the body is read unless the caller may upload, bodies are bounded whatever the
transfer encoding, and no temporary file outlives its request."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import SESSION_KEY
from django.test import Client

from backend.config.asgi import application
from backend.videos.models import Video
from tests.backend.conftest import Team
from tests.backend.security.asgi import asgi_request, chunked, multipart
from tests.backend.security.conftest import leftover_temp_files, token_header
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

MiB = 1024 * 1024


def _upload_path(team: Team) -> str:
    return f"/api/v1/projects/{team.project.pk}/videos/upload/"


async def _upload(team: Team, headers: list[tuple[bytes, bytes]], chunks: list[bytes], **kwargs):  # type: ignore[no-untyped-def]
    return await asgi_request(
        application, "POST", _upload_path(team), headers=headers, chunks=chunks, **kwargs
    )


def _junk_upload(size: int) -> tuple[bytes, list[bytes]]:
    content_type, body = multipart({}, "file", "clip.mp4", b"\0" * size)
    return content_type, chunked(body)


async def test_anonymous_chunked_upload_is_refused_before_any_body_is_read(team: Team):
    # given: a chunked upload (no Content-Length) with no credentials
    content_type, chunks = _junk_upload(4 * MiB)
    # when
    result = await _upload(
        team,
        [(b"content-type", content_type), (b"transfer-encoding", b"chunked")],
        chunks,
    )
    # then: refused in the error shape, without reading the body, and the connection closes
    assert result.status == 403
    assert result.json() == {
        "message": "Authentication credentials were not provided.",
        "extra": {},
    }
    assert result.body_messages_read == 0
    assert result.headers[b"connection"] == b"close"


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("annotator", 403, "Your role in this project (annotator) cannot do this"),
        ("reviewer", 403, "Your role in this project (reviewer) cannot do this"),
        ("outsider", 404, "Not found."),
    ],
)
async def test_upload_by_a_non_manager_is_refused_before_any_body_is_read(
    team: Team, who: str, status: int, message: str
):
    auth = await sync_to_async(token_header)(getattr(team, who))
    content_type, chunks = _junk_upload(MiB)
    result = await _upload(
        team,
        [auth, (b"content-type", content_type)],
        chunks,
    )
    assert result.status == status
    assert result.json()["message"].startswith(message)
    assert result.body_messages_read == 0


async def test_session_upload_without_csrf_token_is_refused_before_any_body_is_read(team: Team):
    # given: a manager's browser session, but a request that carries no CSRF token
    session_cookie = await sync_to_async(_session_cookie)(team)
    content_type, chunks = _junk_upload(MiB)
    # when
    result = await _upload(
        team,
        [(b"cookie", session_cookie), (b"content-type", content_type)],
        chunks,
    )
    # then
    assert result.status == 403
    assert result.json()["message"].startswith("CSRF Failed")
    assert result.body_messages_read == 0


def _session_cookie(team: Team) -> bytes:
    client = Client()
    client.force_login(team.manager)
    assert client.session[SESSION_KEY] == str(team.manager.pk)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_manager_chunked_upload_of_a_video_is_ingested(team: Team, manager_token):
    # given: a real video sent chunked (no Content-Length), as curl -T or a proxy may send it
    video = (FIXTURES / "videos" / "21_biker.mp4").read_bytes()
    content_type, body = multipart({"name": "biker"}, "file", "21_biker.mp4", video)
    # when
    result = await _upload(
        team,
        [
            manager_token,
            (b"content-type", content_type),
            (b"transfer-encoding", b"chunked"),
        ],
        chunked(body),
    )
    # then
    assert result.status == 201, result.body[:300]
    created = result.json()
    assert created["name"] == "biker"
    assert created["size_bytes"] == len(video)
    assert await Video.objects.filter(pk=created["id"]).aexists()
    assert leftover_temp_files() == []


async def test_oversized_chunked_upload_gets_413_and_leaves_no_temp_file(
    team: Team, manager_token, settings
):
    # given: a 1 MiB limit and a 3 MiB chunked upload
    settings.MAX_UPLOAD_BYTES = MiB
    content_type, chunks = _junk_upload(3 * MiB)
    # when
    result = await _upload(
        team,
        [
            manager_token,
            (b"content-type", content_type),
            (b"transfer-encoding", b"chunked"),
        ],
        chunks,
    )
    # then: 413 in the error shape, reading stopped at the limit, nothing left on disk
    assert result.status == 413
    assert result.json()["message"] == (
        "The upload is larger than the limit of 1 MiB (MAX_UPLOAD_BYTES)."
    )
    assert result.json()["extra"]["limit"] > MiB
    assert result.body_messages_read < len(chunks)
    assert result.headers[b"connection"] == b"close"
    assert leftover_temp_files() == []


async def test_upload_declaring_an_oversized_length_gets_413_before_reading(
    team: Team, manager_token, settings
):
    settings.MAX_UPLOAD_BYTES = MiB
    content_type, chunks = _junk_upload(2 * MiB)
    result = await _upload(
        team,
        [
            manager_token,
            (b"content-type", content_type),
            (b"content-length", str(sum(map(len, chunks))).encode()),
        ],
        chunks,
    )
    assert result.status == 413
    assert result.body_messages_read == 0


async def test_client_going_away_mid_upload_leaves_no_temp_file(team: Team, manager_token):
    # given: an upload whose client disconnects after 3 of its chunks
    content_type, chunks = _junk_upload(2 * MiB)
    on_disk_at_disconnect: list[str] = []
    # when
    result = await _upload(
        team,
        [manager_token, (b"content-type", content_type)],
        chunks[:3],
        disconnect_after=3,
        before_disconnect=lambda: on_disk_at_disconnect.extend(leftover_temp_files()),
    )
    # then: the partial body was on disk, and is gone; no answer (nobody is listening)
    assert len(on_disk_at_disconnect) == 1
    assert result.status is None
    assert leftover_temp_files() == []
    assert not await Video.objects.filter(project=team.project).exclude(pk=team.video.pk).aexists()


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_json_body_over_the_limit_gets_413_in_the_error_shape(
    team: Team, settings, declare_length: bool
):
    # given: a 64 KiB limit on ordinary bodies, and 100 KiB of JSON to the login endpoint
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    body = json.dumps({"username": "x" * 100_000, "password": "y"}).encode()
    headers = [(b"content-type", b"application/json")]
    if declare_length:
        headers.append((b"content-length", str(len(body)).encode()))
    # when
    result = await asgi_request(
        application, "POST", "/api/v1/auth/login/", headers=headers, chunks=chunked(body, 8192)
    )
    # then
    assert result.status == 413
    assert result.json()["message"] == "The request body is larger than the limit of 65536 bytes."
    assert result.body_messages_read < len(chunked(body, 8192))


async def test_chunked_json_body_reaches_the_view(team: Team):
    # given: a JSON body without Content-Length (DRF alone would see no body at all)
    await sync_to_async(_set_password)(team)
    body = json.dumps({"username": "manager", "password": "pw-12345678"}).encode()
    # when
    result = await asgi_request(
        application,
        "POST",
        "/api/v1/auth/token/",
        headers=[(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        chunks=chunked(body, 7),
    )
    # then
    assert result.status == 200, result.body
    assert len(result.json()["token"]) == 40


def _set_password(team: Team) -> None:
    team.manager.set_password("pw-12345678")
    team.manager.save()
