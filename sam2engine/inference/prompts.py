"""Checking click/box prompts and mapping them to model space (spec §8.2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sam2engine.inference.errors import SessionError


def _array(value: Any, dtype: type, what: str) -> np.ndarray:
    try:
        arr: np.ndarray = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise SessionError(f"{what} must be numbers, got {value!r}") from None
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise SessionError(f"{what} must be finite numbers")
    return arr


def prompt_tensors(
    points: Any,
    labels: Any,
    box: Any,
    clear_old: bool,
    normalize_coords: bool,
    video_hw: tuple[int, int],
    image_size: int,
    device: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clicks (N, 2) (x, y) with labels (N,) and/or a box (x0, y0, x1, y1), in video pixels
    (or fractions with ``normalize_coords=False``) -> model-space coords [1, P, 2] float32
    and labels [1, P] int32, the box first as labels 2 and 3."""
    if (points is None) != (labels is None):
        raise SessionError("points and labels must be given together")
    if points is None and box is None:
        raise SessionError("give points with labels, or a box")
    if points is not None:
        p = _array(points, np.float32, "points")
        if p.size % 2 or (p.ndim == 2 and p.shape[1] != 2) or p.ndim > 2:
            raise SessionError(f"points must be (N, 2) pairs (x, y), got shape {p.shape}")
        pts = torch.as_tensor(p).reshape(-1, 2)
        lab = torch.as_tensor(_array(labels, np.int32, "labels")).reshape(-1)
        if pts.shape[0] == 0 and box is None:
            raise SessionError("empty points: give at least one click or a box")
        if pts.shape[0] != lab.shape[0]:
            raise SessionError(f"{pts.shape[0]} points but {lab.shape[0]} labels")
        if lab.numel() and not bool(((lab >= -1) & (lab <= 3)).all()):
            raise SessionError(
                "labels must be 1 (positive) or 0 (negative); 2/3 are box corners, -1 padding"
            )
    else:
        pts, lab = torch.zeros(0, 2), torch.zeros(0, dtype=torch.int32)
    if box is not None:
        if not clear_old:
            raise SessionError(
                "a box can only be given with clear_old=True (it replaces earlier clicks)"
            )
        b = torch.as_tensor(_array(box, np.float32, "box")).reshape(-1)
        if b.numel() != 4:
            raise SessionError("box must be (x0, y0, x1, y1)")
        pts = torch.cat([b.reshape(2, 2), pts], dim=0)
        lab = torch.cat([torch.tensor([2, 3], dtype=torch.int32), lab], dim=0)
    pts, lab = pts[None], lab[None]
    if normalize_coords:
        h, w = video_hw
        pts = pts / torch.tensor([w, h], dtype=torch.float32)
    return (pts * image_size).to(device), lab.to(device)
