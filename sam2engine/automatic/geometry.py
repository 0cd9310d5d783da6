"""Point grids, crop boxes and per-mask measures of the automatic mask generator.

Values and dtypes follow sam2 1.1.0's ``sam2/utils/amg.py`` so that the generator's
filters and NMS see exactly the numbers the official code sees: grids in float64, boxes as
int64 pixel indices (x1, y1 inclusive), stability scores as float32 ratios of pixel counts.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# (x0, y0, x1, y1) in pixels, x1 and y1 exclusive: a slice image[y0:y1, x0:x1].
CropBox = tuple[int, int, int, int]


def point_grid(points_per_side: int) -> np.ndarray:
    """[n*n, 2] float64 (x, y) in (0, 1): the centres of an n x n grid of equal cells,
    x varying fastest."""
    half_cell = 1 / (2 * points_per_side)
    side = np.linspace(half_cell, 1 - half_cell, points_per_side)
    xs = np.tile(side[None, :], (points_per_side, 1))
    ys = np.tile(side[:, None], (1, points_per_side))
    return np.stack([xs, ys], axis=-1).reshape(-1, 2)


def layer_point_grids(points_per_side: int, n_layers: int, downscale: int) -> list[np.ndarray]:
    """One grid per crop layer (layer 0 = the whole image); layer i has
    ``int(points_per_side / downscale**i)`` points per side."""
    return [point_grid(int(points_per_side / (downscale**i))) for i in range(n_layers + 1)]


def crop_boxes(
    height: int, width: int, n_layers: int, overlap_ratio: float
) -> list[tuple[CropBox, int]]:
    """(crop box, layer) pairs: the whole image, then for layer i >= 1 a (2^i x 2^i) tiling
    whose neighbours overlap by ``overlap_ratio * short side * 2 / 2^i`` pixels (truncated),
    column by column (x outer, y inner)."""
    boxes: list[tuple[CropBox, int]] = [((0, 0, width, height), 0)]
    short_side = min(height, width)
    for layer in range(1, n_layers + 1):
        per_side = 2**layer
        overlap = int(overlap_ratio * short_side * (2 / per_side))
        crop_w = int(math.ceil((overlap * (per_side - 1) + width) / per_side))
        crop_h = int(math.ceil((overlap * (per_side - 1) + height) / per_side))
        for i in range(per_side):
            x0 = int((crop_w - overlap) * i)
            for j in range(per_side):
                y0 = int((crop_h - overlap) * j)
                boxes.append(((x0, y0, min(x0 + crop_w, width), min(y0 + crop_h, height)), layer))
    return boxes


def mask_boxes(masks: torch.Tensor) -> torch.Tensor:
    """[N, H, W] bool -> [N, 4] int64 (x_min, y_min, x_max, y_max), max inclusive; an empty
    mask gets (0, 0, 0, 0)."""
    n, h, w = masks.shape
    if n == 0:
        return torch.zeros((0, 4), dtype=torch.int64, device=masks.device)
    rows = masks.any(dim=2).to(torch.uint8)  # [N, H]
    cols = masks.any(dim=1).to(torch.uint8)  # [N, W]
    # argmax returns the first maximal index: the first occupied row/column from each side.
    top = rows.argmax(dim=1)
    bottom = (h - 1) - rows.flip(1).argmax(dim=1)
    left = cols.argmax(dim=1)
    right = (w - 1) - cols.flip(1).argmax(dim=1)
    boxes = torch.stack([left, top, right, bottom], dim=1)
    return boxes * rows.any(dim=1, keepdim=True)


def stability_scores(logits: torch.Tensor, threshold: float, offset: float) -> torch.Tensor:
    """[N, H, W] float logits -> [N] float32: the IoU of the masks cut at
    ``threshold + offset`` and ``threshold - offset`` (the first lies inside the second, so
    the IoU is a ratio of pixel counts; NaN when both are empty)."""
    return (
        _count(logits > (threshold + offset)).float()
        / _count(logits > (threshold - offset)).float()
    )


def _count(masks: torch.Tensor) -> torch.Tensor:
    """[N, H, W] bool -> [N] pixel counts. Row sums in int16 first: several times faster than
    one int64 sum of a bool tensor on CPU (a row of at most 32767 pixels cannot overflow)."""
    if masks.shape[-1] > 32767:
        return masks.flatten(1).sum(dim=1)
    return masks.sum(dim=-1, dtype=torch.int16).sum(dim=-1, dtype=torch.int32)


def near_crop_edge(
    boxes: torch.Tensor, crop: CropBox, image_box: CropBox, tolerance: float = 20.0
) -> torch.Tensor:
    """[N] bool: boxes (crop coordinates, [N, 4] int64) with a side within ``tolerance``
    pixels of a crop edge that is not also an image edge (the object likely continues
    outside the crop)."""
    device = boxes.device
    in_image = (boxes + _offset(crop, device)).float()
    crop_t = torch.tensor(crop, dtype=torch.float32, device=device)[None]
    image_t = torch.tensor(image_box, dtype=torch.float32, device=device)[None]
    at_crop = torch.isclose(in_image, crop_t, rtol=0.0, atol=tolerance)
    at_image = torch.isclose(in_image, image_t, rtol=0.0, atol=tolerance)
    return (at_crop & ~at_image).any(dim=1)


def uncrop_boxes(boxes: torch.Tensor, crop: CropBox) -> torch.Tensor:
    return boxes + _offset(crop, boxes.device)


def uncrop_masks(masks: torch.Tensor, crop: CropBox, height: int, width: int) -> torch.Tensor:
    """[N, h, w] masks of a crop -> [N, height, width], zero outside the crop."""
    x0, y0, x1, y1 = crop
    if (x0, y0, x1, y1) == (0, 0, width, height):
        return masks
    pad = (x0, width - x1, y0, height - y1)
    return torch.nn.functional.pad(masks, pad, value=0)


def box_areas(boxes: torch.Tensor) -> torch.Tensor:
    """[N, 4] (x0, y0, x1, y1) -> [N] areas (x1 - x0) * (y1 - y0), in the boxes' dtype."""
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def xyxy_to_xywh(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return (x0, y0, x1 - x0, y1 - y0)


def _offset(crop: CropBox, device: torch.device) -> torch.Tensor:
    x0, y0 = crop[0], crop[1]
    return torch.tensor([[x0, y0, x0, y0]], dtype=torch.int64, device=device)
