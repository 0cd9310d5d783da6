"""The web process's memory while large bodies arrive, measured on the process itself
(uvicorn serving backend.config.asgi, as in production): its peak RSS must not grow with the
body, whether the body is refused (anonymous) or streamed to disk (a manager's upload).

Figures are printed (pytest -s) and compared with the body size in the same run; nothing
depends on timing."""

import socket
import threading
import time
from collections.abc import Callable

import pytest

from tests.backend.conftest import Team
from tests.backend.security.conftest import token_header

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
BODY_BYTES = 112 * MiB
CHUNK = MiB
# Peak RSS may grow by this much while a BODY_BYTES body arrives (buffers, one chunk at a
# time, Python's allocator); a process that held the body would grow by more than its size.
ALLOWED_GROWTH = 24 * MiB
BOUNDARY = b"----sam2memtest"


def _multipart_head() -> bytes:
    return (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )


def _chunked_post(
    port: int,
    path: str,
    headers: dict[str, str],
    size: int,
    *,
    stop_after: int | None = None,
    before_hangup: Callable[[], None] = lambda: None,
) -> tuple[bytes, int]:
    """Sends a multipart body of about `size` bytes with Transfer-Encoding: chunked from a
    second thread while this one reads the answer. Returns (answer, bytes sent). With
    `stop_after`, the client hangs up after that many bytes (and `before_hangup`) instead."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=600)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}\r\n{head}\r\n".encode()
    )
    sent = 0

    def send_body() -> None:
        nonlocal sent
        payload = b"\0" * CHUNK
        pieces = (
            [_multipart_head()] + [payload] * (size // CHUNK) + [b"\r\n--" + BOUNDARY + b"--\r\n"]
        )
        try:
            for piece in pieces:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
                if stop_after is not None and sent >= stop_after:
                    before_hangup()
                    sock.close()
                    return
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: the rest of the body is not wanted

    sender = threading.Thread(target=send_body)
    sender.start()
    answer = b""
    if stop_after is None:
        try:
            while not answer.endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    sender.join(timeout=600)
    sock.close()
    return answer, sent


def test_web_process_memory_does_not_grow_with_upload_bodies(web_server, team: Team):
    # given: the web server, warmed up (code loaded) by one small upload of each kind
    server = web_server(MAX_UPLOAD_BYTES=str(160 * MiB))
    path = f"/api/v1/projects/{team.project.pk}/videos/upload/"
    auth_name, auth_value = (v.decode() for v in token_header(team.manager))
    manager = {auth_name: auth_value}
    _chunked_post(server.port, path, {}, MiB)
    _chunked_post(server.port, path, manager, MiB)

    # when: an anonymous client sends a 112 MiB chunked body
    server.reset_peak_rss()
    before = server.status("VmRSS")
    answer, sent = _chunked_post(server.port, path, {}, BODY_BYTES)
    anonymous_growth = server.status("VmHWM") - before
    # then: 403 in the error shape, and the peak RSS did not follow the body
    assert b" 403 " in answer.split(b"\r\n", 1)[0], answer[:300]
    assert b'"message": "Authentication credentials were not provided."' in answer
    print(
        f"\nanonymous {BODY_BYTES // MiB} MiB chunked POST: client sent {sent / MiB:.1f} MiB "
        f"before the server closed; web peak RSS growth {anonymous_growth / MiB:.1f} MiB"
    )
    assert anonymous_growth < ALLOWED_GROWTH

    # when: the manager uploads 112 MiB chunked (not a video: refused after the whole body)
    server.reset_peak_rss()
    before = server.status("VmRSS")
    answer, sent = _chunked_post(server.port, path, manager, BODY_BYTES)
    upload_growth = server.status("VmHWM") - before
    # then: the whole body was taken (streamed to disk), the answer is the probe's 422
    assert b" 422 " in answer.split(b"\r\n", 1)[0], answer[:300]
    assert sent >= BODY_BYTES
    print(
        f"manager {BODY_BYTES // MiB} MiB chunked upload (streamed to disk, then probed): "
        f"web peak RSS growth {upload_growth / MiB:.1f} MiB"
    )
    assert upload_growth < ALLOWED_GROWTH
    assert server.temp_files_after_requests() == []


def test_client_hanging_up_mid_upload_leaves_no_temp_file(web_server, team: Team):
    # given
    server = web_server()
    auth_name, auth_value = (v.decode() for v in token_header(team.manager))
    on_disk_before_hangup: list[str] = []

    def wait_for_the_body_on_disk() -> None:
        deadline = time.monotonic() + 120
        while not server.temp_files() and time.monotonic() < deadline:
            time.sleep(0.1)
        on_disk_before_hangup.extend(server.temp_files())

    # when: the client sends 16 MiB of a larger upload, then disconnects
    _chunked_post(
        server.port,
        f"/api/v1/projects/{team.project.pk}/videos/upload/",
        {auth_name: auth_value},
        64 * MiB,
        stop_after=16 * MiB,
        before_hangup=wait_for_the_body_on_disk,
    )
    # then: the partial body was on disk; the server deletes it when it sees the disconnect
    assert len(on_disk_before_hangup) == 1
    assert server.temp_files_after_requests() == []
    assert server.process.poll() is None
