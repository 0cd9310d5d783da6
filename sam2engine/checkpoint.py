"""Strict checkpoint loading for official SAM 2.1 files (.pt with {"model": state_dict}, or
.safetensors of the same flat state dict). Never unpickles arbitrary objects."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn


class CheckpointError(RuntimeError):
    """The file cannot be read as a SAM 2.1 checkpoint (missing, corrupt, wrong layout)."""


class CheckpointMismatch(CheckpointError):
    """The checkpoint's keys or shapes do not match the model built from the config."""

    def __init__(
        self,
        missing: list[str],
        unexpected: list[str],
        mis_shaped: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
        source: str = "",
    ) -> None:
        self.missing, self.unexpected, self.mis_shaped = missing, unexpected, mis_shaped

        def _head(items: list[str]) -> str:
            return ", ".join(items[:20]) + (
                f", ... ({len(items) - 20} more)" if len(items) > 20 else ""
            )

        lines = [f"checkpoint {source or ''} does not match the model config:".replace("  ", " ")]
        if missing:
            lines.append(f"  missing keys ({len(missing)}): {_head(missing)}")
        if unexpected:
            lines.append(f"  unexpected keys ({len(unexpected)}): {_head(unexpected)}")
        if mis_shaped:
            lines.append(
                f"  mis-shaped keys ({len(mis_shaped)}): "
                + _head(
                    [f"{k} checkpoint {tuple(a)} vs model {tuple(b)}" for k, a, b in mis_shaped]
                )
            )
        super().__init__("\n".join(lines))


#: First bytes of the legacy (non-zip) ``torch.save`` format: pickle protocol 2, then the
#: 10-byte long integer of torch's magic number 0x1950a86a20f9469cfc6c.
LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19"


def _head_of(data: bytes) -> str:
    text = data[:40]
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return f"it starts with bytes {data[:16]!r}"
    low = decoded.lstrip().lower()
    if low.startswith(("<!doctype", "<html", "<?xml")):
        return f"it is an HTML/XML page (a failed download?), starting {decoded.strip()[:30]!r}"
    if all(c.isprintable() or c.isspace() for c in decoded):
        return f"it is a text file starting {decoded.strip()[:30]!r}"
    return f"it starts with bytes {data[:16]!r}"


def describe_non_checkpoint(path: str | Path) -> str | None:
    """Why ``path`` (an existing file) cannot be a checkpoint, judged from its format alone
    (nothing is unpickled); None when it looks like one (a torch zip archive with
    ``data.pkl``, the legacy torch format, or a ``.safetensors`` file with a valid header)."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "the file is empty (0 bytes)"
    with path.open("rb") as f:
        head = f.read(64)
    if path.suffix == ".safetensors":
        n = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
        if not (2 <= n <= size - 8 and head[8:9] == b"{"):
            return f"not a safetensors file (no valid header); {_head_of(head)}"
        return None
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            return f"a damaged or truncated zip archive ({exc})"
        if not any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
            listed = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            return f"a zip archive, but not one written by torch.save (no data.pkl; holds {listed})"
        return None
    if head.startswith(LEGACY_TORCH_MAGIC):
        return None
    if head.startswith(b"\x80"):
        return "a Python pickle, but not one written by torch.save (no torch magic number)"
    return f"neither a torch.save zip archive nor the legacy torch format; {_head_of(head)}"


def remap_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map official key names to this engine's module names. The module tree uses the
    official names, so this is the identity; it is the one place a rename would go."""
    return dict(state_dict)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a flat state dict from ``.pt`` ({"model": ...} or a bare dict) or ``.safetensors``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    why = describe_non_checkpoint(path)
    if why is not None:
        kind = "safetensors" if path.suffix == ".safetensors" else "PyTorch"
        raise CheckpointError(f"{path} is not a {kind} checkpoint: {why}")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file

            return dict(load_file(str(path), device="cpu"))
        except Exception as exc:  # safetensors raises its own error types
            raise CheckpointError(f"corrupt or unreadable safetensors file {path}: {exc}") from exc
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise CheckpointError(f"corrupt or unreadable checkpoint {path}: {exc}") from exc
    except Exception as exc:  # weights_only refusal (pickled objects) and other unpickling errors
        raise CheckpointError(
            f"checkpoint {path} cannot be loaded safely (weights_only): {exc}"
        ) from exc
    if isinstance(obj, Mapping) and "model" in obj and isinstance(obj["model"], Mapping):
        obj = obj["model"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(
            f"checkpoint {path} is not a state dict of tensors (expected {{'model': state_dict}})"
        )
    return dict(obj)


def check_state_dict(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = ""
) -> None:
    """Raise :class:`CheckpointMismatch` unless keys and shapes match ``model`` exactly."""
    expected = model.state_dict()
    missing = sorted(k for k in expected if k not in state_dict)
    unexpected = sorted(k for k in state_dict if k not in expected)
    mis_shaped = sorted(
        (k, tuple(state_dict[k].shape), tuple(expected[k].shape))
        for k in expected
        if k in state_dict and tuple(state_dict[k].shape) != tuple(expected[k].shape)
    )
    if missing or unexpected or mis_shaped:
        raise CheckpointMismatch(missing, unexpected, mis_shaped, source)


def load_weights(model: nn.Module, path: str | Path) -> None:
    """Load ``path`` into ``model`` strictly (keys and shapes)."""
    state_dict = remap_state_dict(read_state_dict(path))
    check_state_dict(model, state_dict, str(path))
    model.load_state_dict(state_dict, strict=True)
    prompt_encoder = getattr(model, "sam_prompt_encoder", None)
    if prompt_encoder is not None:
        prompt_encoder.invalidate_cache()
