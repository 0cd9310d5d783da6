"""Run-length encodings of binary masks, COCO style, without pycocotools.

Uncompressed form: ``{"size": [H, W], "counts": [n0, n1, ...]}``, runs of the mask read in
column-major (Fortran) order, alternating background and foreground and starting with
background (so ``counts[0]`` is 0 when the first pixel is set). The compressed form is the
same runs written as pycocotools' ASCII string (what SA-V and the platform store).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import torch


class UncompressedRle(TypedDict):
    size: list[int]  # [height, width]
    counts: list[int]


class CocoRle(TypedDict):
    size: list[int]  # [height, width]
    counts: str


def encode_masks(masks: torch.Tensor) -> list[UncompressedRle]:
    """[N, H, W] bool (any device) -> N uncompressed RLEs."""
    n, h, w = masks.shape
    flat = masks.transpose(1, 2).reshape(n, h * w)
    changes = (flat[:, 1:] != flat[:, :-1]).nonzero().cpu().numpy()  # rows sorted by mask
    first_set = flat[:, 0].cpu().numpy()
    per_mask = np.bincount(changes[:, 0], minlength=n) if n else np.zeros(0, np.int64)
    starts = np.split(changes[:, 1] + 1, np.cumsum(per_mask)[:-1])
    out: list[UncompressedRle] = []
    for i in range(n):
        bounds = np.concatenate(([0], starts[i], [h * w]))
        runs = np.diff(bounds).tolist()
        out.append({"size": [h, w], "counts": ([0] + runs) if first_set[i] else runs})
    return out


def decode(rle: UncompressedRle) -> np.ndarray:
    """Uncompressed RLE -> [H, W] bool."""
    h, w = rle["size"]
    counts = np.asarray(rle["counts"], dtype=np.int64)
    if counts.sum() != h * w or (counts < 0).any():
        raise ValueError(f"RLE counts must be non-negative and add up to {h} x {w}")
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat: np.ndarray = np.repeat(values, counts)
    return flat.reshape(w, h).T


def area(rle: UncompressedRle) -> int:
    """Foreground pixels: the sum of the odd runs."""
    return int(sum(rle["counts"][1::2]))


def compress(rle: UncompressedRle) -> CocoRle:
    """The pycocotools string form of the same runs (``mask.frPyObjects`` of the dict)."""
    return {"size": list(rle["size"]), "counts": _counts_string(rle["counts"])}


def _counts_string(counts: Sequence[int]) -> str:
    # From the third run on each count is stored as the difference to the count two runs
    # back, then written 5 bits per character (bit 0x20: more characters follow), offset
    # by 48 into printable ASCII; the sign is carried by bit 0x10 of the last character.
    out = bytearray()
    for i, count in enumerate(counts):
        value = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            chunk = value & 0x1F
            value >>= 5
            more = value != -1 if chunk & 0x10 else value != 0
            if more:
                chunk |= 0x20
            out.append(chunk + 48)
    return out.decode("ascii")
