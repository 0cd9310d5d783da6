"""Resumable download of the official SAM 2.1 checkpoints (:func:`fetch_checkpoint`) and the
platform's entry point :func:`ensure_checkpoint`.

A download is written to ``<name>.pt.part`` (with a small JSON sidecar describing what the server
sent) and resumed with an HTTP Range request when it was interrupted; the finished file must have
exactly the size the server announced and a zip header, and its sha256 is recorded beside it.
Standard library only (urllib).
"""

from __future__ import annotations

import dataclasses
import errno
import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sam2engine.weights_cache import (
    CHUNK,
    ENV_CHECKPOINT,
    DownloadInterrupted,
    InvalidCheckpoint,
    NetworkUnavailable,
    SizeMismatch,
    WeightsError,
    atomic_write_text,
    cache_dir,
    canonical_name,
    check_recorded_sha256,
    checkpoint_url,
    part_path,
    record_path,
    record_sha256,
    sha256_of,
)

# ------------------------------------------------------------------------------------- download


ProgressFn = Callable[[int, int | None], None]


class _TtyProgress:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = 0.0
        self.start = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self.last < 0.1 and not finished:
            return
        self.last = now
        mib = done / 2**20
        rate = mib / max(now - self.start, 1e-6)
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 30)
            line = (
                f"{self.label} [{bar:<30}] {frac:6.1%} "
                f"{mib:8.1f}/{total / 2**20:.1f} MiB {rate:6.1f} MiB/s"
            )
        else:
            line = f"{self.label} {mib:8.1f} MiB {rate:6.1f} MiB/s"
        sys.stderr.write("\r" + line)
        if finished:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _host_of(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _describe_unreachable(url: str, reason: BaseException | str, target: Path) -> str:
    if isinstance(reason, socket.gaierror):
        why = "name not resolved (no network?)"
    elif isinstance(reason, ConnectionRefusedError):
        why = "connection refused"
    elif isinstance(reason, (TimeoutError, socket.timeout)):
        why = "timed out"
    elif isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        why = "no network"
    else:
        why = str(reason).strip() or type(reason).__name__
    return (
        f"cannot reach {_host_of(url)}: {why}; place the checkpoint at {target} "
        f"or set {ENV_CHECKPOINT} to its path"
    )


def _parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    """``bytes START-END/TOTAL`` -> (START, TOTAL or None for ``*``); None if absent/garbled."""
    if not value or not value.startswith("bytes "):
        return None
    spec = value[len("bytes ") :]
    span, _, total = spec.partition("/")
    start = span.partition("-")[0]
    try:
        return (int(start) if start != "*" else -1), (
            int(total) if total not in ("", "*") else None
        )
    except ValueError:
        return None


@dataclasses.dataclass
class _PartMeta:
    """What the server said about the file a .part belongs to, so a resume fetches the same file."""

    url: str
    total: int | None
    validator: str | None  # ETag (preferred) or Last-Modified, sent back as If-Range

    @staticmethod
    def path_for(part: Path) -> Path:
        return part.with_name(part.name + ".json")

    @classmethod
    def load(cls, part: Path) -> _PartMeta | None:
        try:
            data = json.loads(cls.path_for(part).read_text())
            return cls(
                url=str(data["url"]), total=data.get("total"), validator=data.get("validator")
            )
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def save(self, part: Path) -> None:
        atomic_write_text(self.path_for(part), json.dumps(dataclasses.asdict(self)))


def _discard_part(part: Path) -> None:
    part.unlink(missing_ok=True)
    _PartMeta.path_for(part).unlink(missing_ok=True)


def _download_once(url: str, part: Path, timeout: float, progress: ProgressFn | None) -> int | None:
    """Append to ``part`` what it lacks. Returns the file's total size (None if unannounced).

    Raises DownloadInterrupted when the body ended early (the .part is kept), SizeMismatch when the
    server sent more than it announced, and lets urllib/OSError errors through.
    """
    meta = _PartMeta.load(part)
    have = part.stat().st_size if part.exists() else 0
    if have and (meta is None or meta.url != url):
        # A partial file of unknown origin cannot be resumed safely.
        _discard_part(part)
        have, meta = 0, None

    headers = {"User-Agent": "sam2engine-weights/1", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
        if meta is not None and meta.validator:
            # If the file changed on the server since the .part began, it answers 200 with the
            # whole new file instead of a range we would splice onto stale bytes.
            headers["If-Range"] = meta.validator
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:
            # Our .part is at least as long as the file: complete if the sizes agree.
            rng = _parse_content_range(err.headers.get("Content-Range"))
            total = rng[1] if rng else None
            if total is not None and total == have:
                return total
            _discard_part(part)
            raise DownloadInterrupted(
                f"{url}: the partial download did not fit the remote file; retrying from 0"
            ) from err
        raise

    with response:
        status = response.status
        length = response.headers.get("Content-Length")
        body_len = int(length) if length is not None and length.isdigit() else None
        mode: Literal["ab", "wb"]
        if status == 206 and have:
            rng = _parse_content_range(response.headers.get("Content-Range"))
            if rng is None or rng[0] != have:
                _discard_part(part)
                raise DownloadInterrupted(
                    f"{url}: server answered an unexpected range; retrying from 0"
                )
            total = (
                rng[1]
                if rng[1] is not None
                else (have + body_len if body_len is not None else None)
            )
            if meta is not None and meta.total is not None and total != meta.total:
                # Same URL, different size: the file was replaced since the .part began.
                _discard_part(part)
                raise DownloadInterrupted(f"{url}: the remote file changed size; retrying from 0")
            mode = "ab"
        else:
            # 200: the whole file (a server without range support, or the file changed).
            have = 0
            total = body_len
            mode = "wb"
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
        if meta is None or mode == "wb" or meta.total != total:
            _PartMeta(url=url, total=total, validator=validator).save(part)

        with open(part, mode) as out:
            try:
                done = have + _copy_body(response, out, have, total, progress)
            except (TimeoutError, ConnectionError, http.client.HTTPException) as err:
                kept = out.tell()
                raise DownloadInterrupted(
                    f"{url}: transfer failed after {kept} bytes ({type(err).__name__}); "
                    f"run again to resume from {part}"
                ) from err

    if total is not None and done < total:
        raise DownloadInterrupted(f"{url}: connection closed after {done} of {total} bytes")
    if total is not None and done > total:
        _discard_part(part)
        raise SizeMismatch(f"{url}: received {done} bytes but the server announced {total}")
    return total


def _copy_body(
    response: http.client.HTTPResponse,
    out: BinaryIO,
    have: int,
    total: int | None,
    progress: ProgressFn | None,
) -> int:
    written = 0
    while True:
        try:
            chunk = response.read(CHUNK)
        except http.client.IncompleteRead as err:  # raised by some paths when the peer hangs up
            out.write(err.partial)
            written += len(err.partial)
            break
        finally:
            out.flush()  # what arrived must be on disk before an error propagates: it is resumable
        if not chunk:
            break
        out.write(chunk)
        written += len(chunk)
        if progress is not None:
            progress(have + written, total)
    out.flush()
    os.fsync(out.fileno())
    return written


def fetch_checkpoint(
    name: str,
    *,
    directory: Path | None = None,
    base_url: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    progress: bool | ProgressFn | None = None,
    force: bool = False,
) -> Path:
    """Download the official checkpoint ``name`` into the cache (if needed) and return its path.

    An existing cached file is checked against its recorded sha256 instead of being downloaded
    again. ``retries`` is how many times an interrupted transfer is resumed within this call;
    ``progress`` None draws a bar only when stderr is a terminal. Raises a WeightsError subclass.
    """
    canonical = canonical_name(name)
    directory = directory or cache_dir()
    target = directory / f"{canonical}.pt"
    url = checkpoint_url(canonical, base_url)

    if force:
        target.unlink(missing_ok=True)
        record_path(target).unlink(missing_ok=True)
    if target.exists():
        check_recorded_sha256_or_record(target)
        return target

    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise WeightsError(f"cannot create the cache folder {directory}: {err.strerror}") from err

    if progress is None:
        progress = sys.stderr.isatty()
    progress_fn: ProgressFn | None
    if progress is True:
        progress_fn = _TtyProgress(target.name)
    elif progress is False:
        progress_fn = None
    else:
        progress_fn = progress

    part = part_path(target)
    attempt = 0
    while True:
        try:
            total = _download_once(url, part, timeout, progress_fn)
            break
        except DownloadInterrupted:
            attempt += 1
            if attempt > retries:
                raise
        except urllib.error.HTTPError as err:
            raise WeightsError(f"{url}: HTTP {err.code} {err.reason}") from err
        except urllib.error.URLError as err:
            # Raised before any byte arrived: the host is unreachable; retrying will not help.
            if isinstance(err.reason, ssl.SSLError):
                raise WeightsError(f"{url}: TLS error: {err.reason}") from err
            raise NetworkUnavailable(_describe_unreachable(url, err.reason, target)) from err
        except (TimeoutError, ConnectionError, http.client.HTTPException) as err:
            # The connection was made but dropped before the response headers: transient.
            attempt += 1
            if attempt > retries:
                raise NetworkUnavailable(_describe_unreachable(url, err, target)) from err
        time.sleep(min(0.5 * attempt, 5.0))

    size = part.stat().st_size
    if total is not None and size != total:
        _discard_part(part)
        raise SizeMismatch(f"{url}: the file has {size} bytes but the server announced {total}")
    # Whatever we got must at least be a zip-format torch checkpoint; an HTML error page is not.
    with open(part, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            _discard_part(part)
            raise InvalidCheckpoint(
                f"{url}: the response is not a PyTorch checkpoint (no zip header)"
            )
    digest = sha256_of(part)
    os.replace(part, target)
    _PartMeta.path_for(part).unlink(missing_ok=True)
    record_sha256(target, digest)
    return target


def check_recorded_sha256_or_record(path: Path) -> str:
    """Verify ``path`` against its record, recording it first if no record exists yet."""
    digest = check_recorded_sha256(path)
    if digest is None:
        digest = sha256_of(path)
        record_sha256(path, digest)
    return digest


def ensure_checkpoint(name: str, **fetch_kwargs: Any) -> Path:
    """The checkpoint file to load for ``name``.

    ``$SAM2_CHECKPOINT`` if set, else the cache, else the network.

    This is the entry point for the platform (``make run``): it never returns a file that failed
    its checksum, and with no network it raises NetworkUnavailable with a one-line explanation.
    """
    explicit = os.environ.get(ENV_CHECKPOINT)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise WeightsError(f"{ENV_CHECKPOINT}={explicit}: no such file")
        check_recorded_sha256(path)  # only if the user's file has a record beside it
        return path
    return fetch_checkpoint(name, **fetch_kwargs)
