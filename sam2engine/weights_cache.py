"""Names, cache locations, errors and sha256 records of the official SAM 2.1 checkpoints.

The parts of :mod:`sam2engine.weights` that neither download nor load anything: which names
are known and where their files are cached (``$SAM2_CACHE_DIR``), the ``WeightsError`` family,
and the trust-on-first-use sha256 record written beside each file (``<name>.pt.sha256``).
Standard library only.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

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

CHUNK = 1 << 20  # 1 MiB: large enough for throughput, small enough for a smooth progress bar


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


def record_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def part_path(path: Path) -> Path:
    return path.with_name(path.name + ".part")


# ------------------------------------------------------------------------------------ checksums


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_recorded_sha256(path: Path) -> str | None:
    """The sha256 recorded beside ``path`` (``sha256sum`` format), or None when there is none."""
    record = record_path(path)
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
    atomic_write_text(record_path(path), f"{digest}  {path.name}\n")


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


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, path)
