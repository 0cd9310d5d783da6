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

This module checks checkpoints (:func:`verify_checkpoint`) and is the command line; names, the
cache and sha256 records are in :mod:`sam2engine.weights_cache`, downloading in
:mod:`sam2engine.weights_fetch`. Every public name of the three is importable from here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from sam2engine.weights_cache import (
    CHECKPOINT_NAMES,
    ENV_BASE_URL,
    ENV_CACHE_DIR,
    ENV_CHECKPOINT,
    OFFICIAL_BASE_URL,
    PRESET_OF_CHECKPOINT,
    ChecksumMismatch,
    DownloadInterrupted,
    InvalidCheckpoint,
    NetworkUnavailable,
    SizeMismatch,
    WeightsError,
    cache_dir,
    cached_path,
    canonical_name,
    check_recorded_sha256,
    checkpoint_url,
    read_recorded_sha256,
    record_sha256,
    sha256_of,
)
from sam2engine.weights_fetch import (
    ProgressFn,
    check_recorded_sha256_or_record,
    ensure_checkpoint,
    fetch_checkpoint,
)

__all__ = [
    "CHECKPOINT_NAMES",
    "ChecksumMismatch",
    "DownloadInterrupted",
    "ENV_BASE_URL",
    "ENV_CACHE_DIR",
    "ENV_CHECKPOINT",
    "InvalidCheckpoint",
    "NetworkUnavailable",
    "OFFICIAL_BASE_URL",
    "PRESET_OF_CHECKPOINT",
    "ProgressFn",
    "SizeMismatch",
    "VerifyReport",
    "WeightsError",
    "cache_dir",
    "cached_path",
    "canonical_name",
    "check_recorded_sha256",
    "check_recorded_sha256_or_record",
    "checkpoint_url",
    "ensure_checkpoint",
    "fetch_checkpoint",
    "load_state_dict",
    "main",
    "read_recorded_sha256",
    "record_sha256",
    "sha256_of",
    "verify_checkpoint",
]

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
