"""sam2engine.weights against a local HTTP server on 127.0.0.1 (no outside network)."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from sam2engine import weights, weights_fetch
from sam2engine.weights import (
    ChecksumMismatch,
    DownloadInterrupted,
    InvalidCheckpoint,
    NetworkUnavailable,
    WeightsError,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
NAME = "sam2.1_hiera_tiny"


def _checkpoint_bytes(seed: int = 0) -> bytes:
    """A real (small) checkpoint in the official layout.

    About 200 KB, so truncation points are meaningful.
    """
    gen = torch.Generator().manual_seed(seed)
    sd = {
        "image_encoder.w": torch.randn(200, 250, generator=gen),
        "no_mem_embed": torch.zeros(1, 1, 8),
    }
    buf = io.BytesIO()
    torch.save({"model": sd}, buf)
    return buf.getvalue()


@dataclass
class ServerState:
    """What the test server serves and how it misbehaves; it records every request it saw."""

    payload: bytes
    etag: str = '"v1"'
    truncate_at: int | None = None  # send only this many body bytes of a 200 response...
    truncate_times: int = 0  # ...for this many responses (then behave)
    support_ranges: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    state: ServerState  # set on a per-server subclass

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        st = self.state
        st.requests.append(dict(self.headers.items()))
        if self.path != f"/{NAME}.pt":
            self.send_error(404)
            return
        data = st.payload
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if rng and st.support_ranges and (if_range is None or if_range == st.etag):
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = data[start:]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            body = data
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", st.etag)
        self.end_headers()
        if st.truncate_at is not None and st.truncate_times > 0:
            st.truncate_times -= 1
            self.wfile.write(body[: st.truncate_at])
            self.wfile.flush()
            self.close_connection = True  # HTTP/1.0: the socket closes right after this handler
            return
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[tuple[str, ServerState]]:
    state = ServerState(payload=_checkpoint_bytes())
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(weights.ENV_CHECKPOINT, raising=False)
    monkeypatch.delenv(weights.ENV_BASE_URL, raising=False)
    monkeypatch.setenv(weights.ENV_CACHE_DIR, str(tmp_path / "cache"))


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_names_and_urls() -> None:
    assert weights.canonical_name("tiny") == "sam2.1_hiera_tiny"
    assert weights.canonical_name("sam2.1_hiera_b+") == "sam2.1_hiera_base_plus"
    assert weights.canonical_name("sam2.1_hiera_large.pt") == "sam2.1_hiera_large"
    assert (
        weights.checkpoint_url("small")
        == "https://dl.fbaipublicfiles.com/segment_anything_2/092824/sam2.1_hiera_small.pt"
    )
    with pytest.raises(WeightsError, match="unknown checkpoint 'sam2_hiera_tiny'"):
        weights.canonical_name("sam2_hiera_tiny")


def test_cache_dir_from_env(tmp_path: Path) -> None:
    assert weights.cache_dir() == tmp_path / "cache"
    assert weights.cached_path("tiny") == tmp_path / "cache" / "sam2.1_hiera_tiny.pt"


def test_fetch_downloads_records_sha256_and_reuses(
    server: tuple[str, ServerState], tmp_path: Path
) -> None:
    url, state = server
    seen: list[tuple[int, int | None]] = []
    path = weights.fetch_checkpoint("tiny", base_url=url, progress=lambda d, t: seen.append((d, t)))
    assert path == tmp_path / "cache" / f"{NAME}.pt"
    assert path.read_bytes() == state.payload
    digest = hashlib.sha256(state.payload).hexdigest()
    assert (path.parent / f"{NAME}.pt.sha256").read_text() == f"{digest}  {NAME}.pt\n"
    assert not list(path.parent.glob("*.part*"))
    assert seen[-1] == (len(state.payload), len(state.payload))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    # A second fetch verifies the cached file instead of downloading again.
    assert weights.fetch_checkpoint("tiny", base_url=url) == path
    assert len(state.requests) == 1

    report = weights.verify_checkpoint(path)
    assert report.sha256 == digest
    assert report.sha256_recorded
    assert report.num_tensors == 2
    assert report.num_elements == 200 * 250 + 8


def test_resume_after_interrupted_download(server: tuple[str, ServerState], tmp_path: Path) -> None:
    url, state = server
    cut = 70_001
    state.truncate_at, state.truncate_times = cut, 1
    with pytest.raises(DownloadInterrupted, match=f"after {cut} of {len(state.payload)} bytes"):
        weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    part = tmp_path / "cache" / f"{NAME}.pt.part"
    assert part.stat().st_size == cut
    assert not (tmp_path / "cache" / f"{NAME}.pt").exists()

    path = weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    assert path.read_bytes() == state.payload
    assert state.requests[1]["Range"] == f"bytes={cut}-"
    assert state.requests[1]["If-Range"] == state.etag
    assert not part.exists()


def test_interruption_is_resumed_within_one_call(server: tuple[str, ServerState]) -> None:
    url, state = server
    state.truncate_at, state.truncate_times = 50_000, 2  # the first resume is cut short as well
    path = weights.fetch_checkpoint(NAME, base_url=url, retries=2)
    assert path.read_bytes() == state.payload
    assert [r.get("Range") for r in state.requests] == [None, "bytes=50000-", "bytes=100000-"]


def test_changed_remote_file_restarts_instead_of_splicing(server: tuple[str, ServerState]) -> None:
    url, state = server
    state.truncate_at, state.truncate_times = 60_000, 1
    with pytest.raises(DownloadInterrupted):
        weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    state.payload, state.etag = _checkpoint_bytes(seed=1), '"v2"'  # same size, new content
    path = weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    assert path.read_bytes() == state.payload  # If-Range made the server send the whole new file


def test_server_without_range_support_restarts_from_zero(server: tuple[str, ServerState]) -> None:
    url, state = server
    state.support_ranges = False
    state.truncate_at, state.truncate_times = 40_000, 1
    path = weights.fetch_checkpoint(NAME, base_url=url, retries=1)
    assert path.read_bytes() == state.payload


def test_size_short_of_content_length_is_never_accepted(
    server: tuple[str, ServerState], tmp_path: Path
) -> None:
    url, state = server
    state.truncate_at, state.truncate_times = 1_000, 10**6  # always stops at 1000 bytes
    with pytest.raises(DownloadInterrupted, match=f"1000 of {len(state.payload)} bytes"):
        weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    assert not (tmp_path / "cache" / f"{NAME}.pt").exists()


def test_part_longer_than_remote_file_is_discarded(
    server: tuple[str, ServerState], tmp_path: Path
) -> None:
    url, state = server
    state.truncate_at, state.truncate_times = 10_000, 1
    with pytest.raises(DownloadInterrupted):
        weights.fetch_checkpoint(NAME, base_url=url, retries=0)
    part = tmp_path / "cache" / f"{NAME}.pt.part"
    part.write_bytes(state.payload + b"garbage")  # longer than the remote file -> 416
    path = weights.fetch_checkpoint(NAME, base_url=url, retries=1)
    assert path.read_bytes() == state.payload


def test_non_checkpoint_response_is_rejected(
    server: tuple[str, ServerState], tmp_path: Path
) -> None:
    url, state = server
    state.payload = b"<html>sign in</html>"
    with pytest.raises(InvalidCheckpoint, match="not a PyTorch checkpoint"):
        weights.fetch_checkpoint(NAME, base_url=url)
    assert not list((tmp_path / "cache").iterdir())


def test_checksum_mismatch_on_later_use(server: tuple[str, ServerState]) -> None:
    url, _ = server
    path = weights.fetch_checkpoint(NAME, base_url=url)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch, match="differs from the recorded"):
        weights.fetch_checkpoint(NAME, base_url=url)
    with pytest.raises(ChecksumMismatch):
        weights.verify_checkpoint(path)
    # The CLI says it in one line and fails.
    proc = _cli("verify", str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "differs from the recorded" in proc.stderr


def test_no_network_is_one_clear_line(tmp_path: Path) -> None:
    dead = _closed_port_url()
    with pytest.raises(NetworkUnavailable) as info:
        weights.fetch_checkpoint(NAME, base_url=dead)
    message = str(info.value)
    assert message.startswith(f"cannot reach {dead.removeprefix('http://')}: connection refused")
    assert str(tmp_path / "cache" / f"{NAME}.pt") in message
    assert "SAM2_CHECKPOINT" in message

    proc = _cli("fetch", "tiny", env_extra={weights.ENV_BASE_URL: dead})
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach 127.0.0.1:")


def test_dns_failure_wording() -> None:
    msg = weights_fetch._describe_unreachable(
        weights.checkpoint_url(NAME),
        socket.gaierror(-2, "Name or service not known"),
        Path("/x/y.pt"),
    )
    assert msg == (
        "cannot reach dl.fbaipublicfiles.com: name not resolved (no network?); "
        "place the checkpoint at /x/y.pt or set SAM2_CHECKPOINT to its path"
    )


def test_cli_fetch_prints_path(server: tuple[str, ServerState], tmp_path: Path) -> None:
    url, state = server
    proc = _cli("fetch", "tiny", "--no-progress", env_extra={weights.ENV_BASE_URL: url})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "cache" / f"{NAME}.pt")


def test_ensure_checkpoint_prefers_explicit_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    own = tmp_path / "mine.pt"
    own.write_bytes(_checkpoint_bytes())
    monkeypatch.setenv(weights.ENV_CHECKPOINT, str(own))
    monkeypatch.setenv(
        weights.ENV_BASE_URL, _closed_port_url()
    )  # would fail if it tried the network
    assert weights.ensure_checkpoint("tiny") == own
    monkeypatch.setenv(weights.ENV_CHECKPOINT, str(tmp_path / "missing.pt"))
    with pytest.raises(WeightsError, match="missing.pt: no such file"):
        weights.ensure_checkpoint("tiny")


def test_verify_formats_and_refusals(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    sd = {"a": torch.ones(3, 4), "b": torch.zeros(5)}
    bare = tmp_path / "bare.pt"
    torch.save(sd, bare)
    assert weights.verify_checkpoint(bare).num_tensors == 2
    st = tmp_path / "w.safetensors"
    save_file(sd, str(st))
    rep = weights.verify_checkpoint(st)
    assert (rep.num_tensors, rep.num_elements, rep.sha256_recorded) == (2, 17, False)

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x01" + os.urandom(4095))
    with pytest.raises(InvalidCheckpoint, match="is not a PyTorch checkpoint: neither"):
        weights.verify_checkpoint(garbage)

    # A pickle carrying an arbitrary object must be refused, not executed (weights_only).
    evil = tmp_path / "evil.pt"
    torch.save({"model": {"a": torch.ones(1)}, "extra": ServerState(payload=b"")}, evil)
    with pytest.raises(InvalidCheckpoint, match="not a loadable checkpoint"):
        weights.verify_checkpoint(evil)

    with pytest.raises(WeightsError, match="no such file"):
        weights.verify_checkpoint(tmp_path / "nope.pt")


def test_verify_names_what_a_non_checkpoint_file_is(tmp_path: Path) -> None:
    """A text file renamed .pt, an empty file, a zip that torch did not write: each says
    exactly that, from the API and from the CLI (stderr, exit 1)."""
    import zipfile

    text = tmp_path / "notes.pt"
    text.write_text("these are my notes\n")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    archive = tmp_path / "archive.pt"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    page = tmp_path / "page.pt"
    page.write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    cases = {
        text: "is not a PyTorch checkpoint: .*text file starting 'these are my notes'",
        empty: "is not a PyTorch checkpoint: the file is empty",
        archive: "is not a PyTorch checkpoint: a zip archive, but not one written by torch.save",
        page: "is not a PyTorch checkpoint: .*HTML",
    }
    for path, message in cases.items():
        with pytest.raises(InvalidCheckpoint, match=message):
            weights.verify_checkpoint(path)
        proc = _cli("verify", str(path))
        assert proc.returncode == 1
        assert str(path) in proc.stderr
        assert re.search(message, proc.stderr), proc.stderr
    # The legacy (non-zip) torch format is still a checkpoint.
    legacy = tmp_path / "legacy.pt"
    torch.save({"model": {"a": torch.ones(2)}}, legacy, _use_new_zipfile_serialization=False)
    assert weights.verify_checkpoint(legacy).num_tensors == 1


def _cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "sam2engine.weights", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verify_against_config_keys_and_shapes(tmp_path: Path) -> None:
    from sam2engine.config import ModelConfig
    from sam2engine.modeling.sam2 import SAM2Model

    torch.manual_seed(0)
    sd = SAM2Model(ModelConfig.preset("micro")).state_dict()
    good = tmp_path / "micro.pt"
    torch.save({"model": sd}, good)
    assert weights.verify_checkpoint(good, "micro").config == "sam2.1_micro"
    proc = _cli("verify", str(good), "--config", "micro")
    assert proc.returncode == 0, proc.stderr
    assert '"config": "sam2.1_micro"' in proc.stdout

    broken = dict(sd)
    del broken["no_mem_embed"]
    broken["maskmem_tpos_enc"] = torch.zeros(3, 1, 1, 1)
    bad = tmp_path / "bad.pt"
    torch.save({"model": broken}, bad)
    with pytest.raises(
        InvalidCheckpoint,
        match=r"missing keys \(1\): no_mem_embed.*mis-shaped keys \(1\): maskmem_tpos_enc",
    ):
        weights.verify_checkpoint(bad, "micro")
    # A real-size preset is checked by shapes alone (meta device): wrong file for the config.
    with pytest.raises(InvalidCheckpoint, match="does not fit config sam2.1_hiera_t"):
        weights.verify_checkpoint(good, "tiny")
