"""Fetch and verify the official SAM 2.1 checkpoints.

    python -m sam2engine.weights fetch sam2.1_hiera_tiny      # or: tiny, small, base_plus, large
    python -m sam2engine.weights verify FILE [--config tiny|PATH.json]
    python -m sam2engine.weights path sam2.1_hiera_tiny       # where it is (or would be) cached

Files go to ``$SAM2_CACHE_DIR`` (default ``~/.cache/sam2engine``). A download is written to
``<name>.pt.part`` and resumed with an HTTP Range request when it was interrupted; the finished
file must have exactly the size the server announced. Meta publishes no checksums, so the sha256
of the first complete download is recorded beside it (``<name>.pt.sha256``, the format of
``sha256sum``) and every later use compares the file against that record (trust on first use):
a file that changed on disk afterwards is reported, never silently used.

The platform calls :func:`ensure_checkpoint`, which honours ``$SAM2_CHECKPOINT`` (an explicit file,
used as is) before the cache and the network. Standard library only (urllib), no third-party
downloader.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import hashlib
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

OFFICIAL_BASE_URL = "https://dl.fbaipublicfiles.com/segment_anything_2/092824"
"""Where Meta serves the SAM 2.1 release of 2024-09-28 (the folder name is that date)."""

CHECKPOINT_NAMES: tuple[str, ...] = (
    "sam2.1_hiera_tiny",
    "sam2.1_hiera_small",
    "sam2.1_hiera_base_plus",
    "sam2.1_hiera_large",
)

# Other spellings people use for the same four files: the engine's preset names and the names of
# the official config files (sam2.1_hiera_t.yaml, ...).
_ALIASES: dict[str, str] = {
    "tiny": "sam2.1_hiera_tiny",
    "small": "sam2.1_hiera_small",
    "base_plus": "sam2.1_hiera_base_plus",
    "large": "sam2.1_hiera_large",
    "sam2.1_hiera_t": "sam2.1_hiera_tiny",
    "sam2.1_hiera_s": "sam2.1_hiera_small",
    "sam2.1_hiera_b+": "sam2.1_hiera_base_plus",
    "sam2.1_hiera_l": "sam2.1_hiera_large",
}

# Preset name of the engine's config for each checkpoint (used by `verify --config` defaults).
PRESET_OF_CHECKPOINT: dict[str, str] = {
    "sam2.1_hiera_tiny": "tiny",
    "sam2.1_hiera_small": "small",
    "sam2.1_hiera_base_plus": "base_plus",
    "sam2.1_hiera_large": "large",
}

ENV_CACHE_DIR = "SAM2_CACHE_DIR"
ENV_CHECKPOINT = "SAM2_CHECKPOINT"
ENV_BASE_URL = (
    "SAM2_WEIGHTS_BASE_URL"  # a mirror with the same file names (and the tests' local server)
)

_CHUNK = 1 << 20  # 1 MiB: large enough for throughput, small enough for a smooth progress bar


class WeightsError(Exception):
    """Any failure to obtain or verify a checkpoint; str(error) is one self-contained line."""


class NetworkUnavailable(WeightsError):
    """The download host could not be reached at all (no route, DNS failure, refused, timeout)."""


class DownloadInterrupted(WeightsError):
    """The connection ended before the announced size; the partial file is kept for resuming."""


class SizeMismatch(WeightsError):
    """The downloaded size does not match what the server announced."""


class ChecksumMismatch(WeightsError):
    """The file's sha256 differs from the one recorded when it was first downloaded."""


class InvalidCheckpoint(WeightsError):
    """The file is not a loadable state dict (or does not fit the requested config)."""


# --------------------------------------------------------------------------------------- names


def canonical_name(name: str) -> str:
    """Map ``tiny`` / ``sam2.1_hiera_t`` / ``sam2.1_hiera_tiny.pt`` to ``sam2.1_hiera_tiny``."""
    key = name.strip()
    if key.endswith(".pt"):
        key = key[: -len(".pt")]
    key = _ALIASES.get(key, key)
    if key not in CHECKPOINT_NAMES:
        known = ", ".join(CHECKPOINT_NAMES)
        raise WeightsError(
            f"unknown checkpoint {name!r}; known: {known} (or tiny, small, base_plus, large)"
        )
    return key


def cache_dir() -> Path:
    """The folder checkpoints are stored in: ``$SAM2_CACHE_DIR`` or ``~/.cache/sam2engine``."""
    configured = os.environ.get(ENV_CACHE_DIR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "sam2engine"


def checkpoint_url(name: str, base_url: str | None = None) -> str:
    base = base_url or os.environ.get(ENV_BASE_URL) or OFFICIAL_BASE_URL
    return f"{base.rstrip('/')}/{canonical_name(name)}.pt"


def cached_path(name: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"{canonical_name(name)}.pt"


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


# ------------------------------------------------------------------------------------ checksums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_recorded_sha256(path: Path) -> str | None:
    """The sha256 recorded beside ``path`` (``sha256sum`` format), or None when there is none."""
    record = _record_path(path)
    try:
        text = record.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    digest = text.split()[0].lower() if text else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ChecksumMismatch(f"{record}: not a sha256 record; delete it to record the file anew")
    return digest


def record_sha256(path: Path, digest: str) -> None:
    # Two spaces: `sha256sum -c FILE.sha256` accepts it, run from the cache folder.
    _atomic_write_text(_record_path(path), f"{digest}  {path.name}\n")


def check_recorded_sha256(path: Path) -> str | None:
    """Compare ``path`` with its record. Returns the digest, or None (nothing hashed) when there is
    no record. Raises ChecksumMismatch when the file differs from its record."""
    expected = read_recorded_sha256(path)
    if expected is None:
        return None
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumMismatch(
            f"{path}: sha256 {actual[:16]}... differs from the recorded {expected[:16]}... "
            f"(file changed or corrupt); delete it and fetch again"
        )
    return actual


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, path)


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
        _atomic_write_text(self.path_for(part), json.dumps(dataclasses.asdict(self)))


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
            chunk = response.read(_CHUNK)
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
        _record_path(target).unlink(missing_ok=True)
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

    part = _part_path(target)
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


# --------------------------------------------------------------------------------------- verify


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    path: str
    sha256: str
    sha256_recorded: bool
    num_tensors: int
    num_elements: int
    config: (
        str | None
    )  # the config whose keys and shapes the checkpoint matched, if one was checked

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))


def load_state_dict(path: Path) -> dict[str, Any]:
    """Load a checkpoint without unpickling arbitrary objects: ``{"model": sd}`` or a bare sd,
    as ``.pt`` (torch zip, ``weights_only=True``) or ``.safetensors``."""
    import torch

    from sam2engine.checkpoint import LEGACY_TORCH_MAGIC, describe_non_checkpoint

    why = describe_non_checkpoint(path)
    if why is not None:
        kind = "safetensors" if path.suffix == ".safetensors" else "PyTorch"
        raise InvalidCheckpoint(f"{path} is not a {kind} checkpoint: {why}")
    with path.open("rb") as f:
        legacy = f.read(len(LEGACY_TORCH_MAGIC)) == LEGACY_TORCH_MAGIC
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj: Any = load_file(str(path), device="cpu")
        else:
            obj = torch.load(str(path), map_location="cpu", weights_only=True, mmap=not legacy)
    except Exception as err:  # torch raises many types for corrupt files; all mean "unusable"
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InvalidCheckpoint(f"{path}: not a loadable checkpoint: {first_line}") from err
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]
    if not isinstance(obj, dict) or not obj:
        raise InvalidCheckpoint(f"{path}: expected a state dict or {{'model': state_dict}}")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise InvalidCheckpoint(
            f"{path}: entries that are not tensors: {', '.join(map(str, bad[:5]))}"
        )
    return obj


def _check_against_config(state_dict: dict[str, Any], config: str) -> str:
    """Raise InvalidCheckpoint unless ``state_dict`` has exactly the keys and shapes of the model
    built from ``config`` (preset name or JSON path).

    Uses the engine's own strict check, so the rules are the ones applied when the model really
    loads. The model is built on the meta device: shapes only, no memory, no init cost.
    """
    import torch

    from sam2engine.checkpoint import CheckpointMismatch, check_state_dict, remap_state_dict
    from sam2engine.config import ConfigError, ModelConfig
    from sam2engine.modeling.sam2 import SAM2Model

    try:
        cfg = (
            ModelConfig.from_json(config)
            if config.endswith(".json")
            else ModelConfig.preset(config)
        )
    except ConfigError as err:
        raise WeightsError(str(err)) from err
    with torch.device("meta"):
        model = SAM2Model(cfg)
    try:
        check_state_dict(model, remap_state_dict(state_dict))
    except CheckpointMismatch as err:
        # The engine's message spans several lines (one per kind of difference); keep one line.
        detail = "; ".join(line.strip() for line in str(err).splitlines()[1:])
        raise InvalidCheckpoint(f"does not fit config {cfg.name}: {detail}") from err
    return cfg.name


def verify_checkpoint(path: Path | str, config: str | None = None) -> VerifyReport:
    """Check a checkpoint file: sha256 against its record (if any), loadable with weights_only,
    and, when ``config`` (preset name or JSON path) is given, keys and shapes of that model."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    recorded_digest = check_recorded_sha256(path)
    recorded = recorded_digest is not None
    digest = recorded_digest or sha256_of(path)
    state_dict = load_state_dict(path)
    matched = _check_against_config(state_dict, config) if config else None
    return VerifyReport(
        path=str(path),
        sha256=digest,
        sha256_recorded=recorded,
        num_tensors=len(state_dict),
        num_elements=sum(int(t.numel()) for t in state_dict.values()),
        config=matched,
    )


# ------------------------------------------------------------------------------------------ CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sam2engine.weights", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_fetch = sub.add_parser("fetch", help="download an official SAM 2.1 checkpoint into the cache")
    p_fetch.add_argument(
        "name", help=", ".join(CHECKPOINT_NAMES) + " (or tiny/small/base_plus/large)"
    )
    p_fetch.add_argument("--force", action="store_true", help="download again even if cached")
    p_fetch.add_argument("--no-progress", action="store_true")
    p_fetch.add_argument(
        "--verify-config",
        action="store_true",
        help="also check keys and shapes against the matching preset config",
    )
    p_verify = sub.add_parser("verify", help="check a checkpoint file")
    p_verify.add_argument("file", type=Path)
    p_verify.add_argument(
        "--config", help="preset name or config JSON whose keys/shapes it must match"
    )
    p_path = sub.add_parser("path", help="print where a checkpoint is cached")
    p_path.add_argument("name")
    args = parser.parse_args(argv)

    try:
        if args.command == "fetch":
            path = fetch_checkpoint(
                args.name, force=args.force, progress=False if args.no_progress else None
            )
            config = PRESET_OF_CHECKPOINT[canonical_name(args.name)] if args.verify_config else None
            result = verify_checkpoint(path, config).to_json() if config else str(path)
        elif args.command == "verify":
            result = verify_checkpoint(args.file, args.config).to_json()
        else:
            result = str(cached_path(args.name))
        # The result goes to stdout so that scripts can capture it; errors go to stderr.
        sys.stdout.write(result + "\n")
    except WeightsError as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted; run the same command again to resume\n")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
