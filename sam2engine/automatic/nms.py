"""Greedy box non-maximum suppression in plain torch (the engine does not use torchvision).

The results equal torchvision's (0.29) ``nms`` / ``batched_nms`` on CPU tensors, keep order
included, for equal inputs: boxes are ranked by a stable descending sort of the scores
(tied scores keep their input order), the overlap is computed with the same float operations
in the boxes' dtype and compared with the threshold in double precision, and ``batched_nms``
takes the same route (coordinate offsets per category up to 1000 boxes; beyond, one pass per
category and a final, unstable, re-sort by score). Those details decide which of two
equal-score duplicates survives and in which order the survivors come, which the automatic
mask generator's output depends on (its crop NMS gives every mask of a crop the same score).
"""

from __future__ import annotations

import numpy as np
import torch

# torchvision's switch between its two batched strategies on CPU (boxes.numel(), i.e. 4 x N).
_VANILLA_ABOVE_NUMEL = 4000
# Rows of the overlap matrix computed at once: bounds memory to _BLOCK x N.
_BLOCK = 512


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices (int64, by decreasing score) of the boxes kept by greedy NMS.

    boxes [N, 4] float (x0, y0, x1, y1); scores [N] float. A box is dropped when its IoU
    with a kept, higher-ranked box is above ``iou_threshold`` (a NaN IoU, from two empty
    boxes, drops nothing). Runs on CPU whatever the input device; returns on that device.
    """
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be [N, 4], got {tuple(boxes.shape)}")
    if scores.shape != boxes.shape[:1]:
        raise ValueError(f"scores must be [{boxes.shape[0]}], got {tuple(scores.shape)}")
    device = boxes.device
    n = boxes.shape[0]
    if n == 0:
        return torch.empty(0, dtype=torch.int64, device=device)
    order = torch.sort(scores.cpu(), dim=0, descending=True, stable=True)[1]
    ranked = boxes.cpu()[order]
    x0, y0, x1, y1 = ranked.unbind(1)
    areas = (x1 - x0) * (y1 - y0)
    removed = np.zeros(n, dtype=bool)
    kept: list[int] = []
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        # Overlap of ranked boxes [start, stop) with every box ranked after `start`.
        w = (
            torch.minimum(x1[start:stop, None], x1[None, start:])
            - torch.maximum(x0[start:stop, None], x0[None, start:])
        ).clamp(min=0)
        h = (
            torch.minimum(y1[start:stop, None], y1[None, start:])
            - torch.maximum(y0[start:stop, None], y0[None, start:])
        ).clamp(min=0)
        inter = w * h
        iou = inter / (areas[start:stop, None] + areas[None, start:] - inter)
        over = (iou.double() > iou_threshold).numpy()
        for i in range(start, stop):
            if removed[i]:
                continue
            kept.append(i)
            row = over[i - start]
            # Only boxes ranked after i can be dropped by it; earlier ones are decided.
            removed[i + 1 :] |= row[i + 1 - start :]
    return order[torch.tensor(kept, dtype=torch.int64)].to(device)


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, categories: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """NMS within each category (``categories`` [N] int): boxes of different categories
    never suppress each other. Indices by decreasing score, as :func:`nms`."""
    if categories.shape != boxes.shape[:1]:
        raise ValueError(f"categories must be [{boxes.shape[0]}], got {tuple(categories.shape)}")
    device = boxes.device
    boxes, scores, categories = boxes.cpu(), scores.cpu(), categories.cpu()
    return _batched_nms_cpu(boxes, scores, categories, iou_threshold).to(device)


def _batched_nms_cpu(
    boxes: torch.Tensor, scores: torch.Tensor, categories: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    if boxes.numel() > _VANILLA_ABOVE_NUMEL:
        keep_mask = torch.zeros(scores.shape, dtype=torch.bool)
        for category in torch.unique(categories):
            members = torch.where(categories == category)[0]
            keep_mask[members[nms(boxes[members], scores[members], iou_threshold)]] = True
        kept = torch.where(keep_mask)[0]
        # torchvision re-sorts with the default (unstable) sort here: ties in its order.
        return kept[scores[kept].sort(descending=True)[1]]
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64)
    # Shift each category's boxes beyond every other category's so they cannot overlap.
    span = boxes.max() + torch.tensor(1).to(boxes)
    offsets = categories.to(boxes) * span
    return nms(boxes + offsets[:, None], scores, iou_threshold)
