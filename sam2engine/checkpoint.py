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


def remap_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map official key names to this engine's module names. The module tree uses the
    official names, so this is the identity; it is the one place a rename would go."""
    return dict(state_dict)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a flat state dict from ``.pt`` ({"model": ...} or a bare dict) or ``.safetensors``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
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
