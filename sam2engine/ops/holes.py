"""Connected-component post-processing on CPU with OpenCV (spec §9).

The official code uses a CUDA-only kernel and silently skips this step on CPU; here it
always runs. Components use 8-connectivity; the areas are per component.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch


def small_components(binary: np.ndarray, max_area: float) -> np.ndarray:
    """Boolean map of pixels of ``binary`` (2D bool) whose 8-connected component has
    area <= ``max_area``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(binary.shape, dtype=bool)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False  # label 0 is the complement of ``binary``
    out: np.ndarray = small[labels]
    return out


def _components_mask(
    maps: torch.Tensor, predicate: Callable[[torch.Tensor], torch.Tensor], max_area: float
) -> torch.Tensor:
    """Apply :func:`small_components` to every 2D map of [..., h, w]."""
    arr = predicate(maps).detach().to("cpu").numpy()
    flat = arr.reshape(-1, *arr.shape[-2:])
    out = np.stack([small_components(m, max_area) for m in flat]).reshape(arr.shape)
    return torch.from_numpy(out).to(maps.device)


def fill_holes(
    logits: torch.Tensor, max_area: float, fill_value: float = 0.1
) -> tuple[torch.Tensor, int]:
    """Set background components (logit <= 0) of area <= max_area to ``fill_value``.

    logits [..., h, w] float; returns the new logits and the number of changed pixels.
    """
    if max_area <= 0:
        return logits, 0
    holes = _components_mask(logits, lambda t: t <= 0, max_area)
    return torch.where(
        holes, torch.as_tensor(fill_value, dtype=logits.dtype, device=logits.device), logits
    ), int(holes.sum())


def postprocess_image_logits(
    logits: torch.Tensor, threshold: float, max_hole_area: float, max_sprinkle_area: float
) -> torch.Tensor:
    """Image-predictor hole filling / sprinkle removal; both computed on the input logits."""
    out = logits
    if max_hole_area > 0:
        holes = _components_mask(logits, lambda t: t <= threshold, max_hole_area)
        out = torch.where(
            holes, torch.as_tensor(threshold + 10.0, dtype=out.dtype, device=out.device), out
        )
    if max_sprinkle_area > 0:
        sprinkles = _components_mask(logits, lambda t: t > threshold, max_sprinkle_area)
        out = torch.where(
            sprinkles, torch.as_tensor(threshold - 10.0, dtype=out.dtype, device=out.device), out
        )
    return out
