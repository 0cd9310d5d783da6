"""Device and precision selection."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

import torch


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """``None``/"auto" picks cuda, then mps, then cpu."""
    if device is None or str(device) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def autocast_context(device: torch.device, precision: str) -> AbstractContextManager[None]:
    """bfloat16 autocast on CUDA when ``precision`` is "bfloat16" (or "auto" on CUDA);
    float32 everywhere else."""
    if precision not in ("float32", "auto", "bfloat16"):
        raise ValueError(f"unknown precision {precision!r} (float32, bfloat16 or auto)")
    if device.type == "cuda" and precision in ("bfloat16", "auto"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
