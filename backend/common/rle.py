"""Masks as COCO compressed RLE (column-major), the encoding SA-V and pycocotools use.

The wire and database form is {"size": [height, width], "counts": "<ascii>"}.
"""

from typing import Any, TypedDict

import numpy as np
from pycocotools import mask as mask_utils


class Rle(TypedDict):
    size: list[int]
    counts: str


class RleError(ValueError):
    pass


def encode(mask: np.ndarray) -> Rle:
    """[H, W] bool/uint8 mask -> compressed RLE."""
    if mask.ndim != 2:
        raise RleError(f"mask must be 2-D, got shape {mask.shape}")
    encoded = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {
        "size": [int(encoded["size"][0]), int(encoded["size"][1])],
        "counts": encoded["counts"].decode("ascii"),
    }


def decode(rle: Rle) -> np.ndarray:
    """Compressed RLE -> [H, W] uint8 mask of 0/1."""
    return mask_utils.decode(_to_coco(rle))


def validate(value: Any, *, height: int | None = None, width: int | None = None) -> Rle:
    """Check shape and decodability of an RLE from outside; return it normalised."""
    if not isinstance(value, dict) or set(value) != {"size", "counts"}:
        raise RleError('RLE must be an object {"size": [height, width], "counts": "..."}.')
    size = value["size"]
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        raise RleError("RLE size must be [height, width] with positive integers.")
    if not isinstance(value["counts"], str) or not value["counts"].isascii():
        raise RleError("RLE counts must be a compressed COCO RLE string.")
    if (height is not None and size[0] != height) or (width is not None and size[1] != width):
        raise RleError(f"RLE size {size} does not match the video's [{height}, {width}].")
    rle: Rle = {"size": [size[0], size[1]], "counts": value["counts"]}
    # pycocotools reads counts without bounds checks; the total must equal H*W exactly.
    if _total_length(rle["counts"]) != size[0] * size[1]:
        raise RleError("RLE counts do not add up to height x width.")
    return rle


def area(rle: Rle) -> int:
    return int(mask_utils.area(_to_coco(rle)))


def bbox(rle: Rle) -> list[float]:
    """[x, y, width, height] in pixels, as COCO defines it; zeros for an empty mask."""
    return [float(v) for v in mask_utils.toBbox(_to_coco(rle))]


def iou_matrix(a: list[Rle], b: list[Rle]) -> np.ndarray:
    """[len(a), len(b)] float64 mask IoUs (0 where both masks are empty)."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    ious = mask_utils.iou([_to_coco(r) for r in a], [_to_coco(r) for r in b], [0] * len(b))
    return np.asarray(ious, dtype=np.float64).reshape(len(a), len(b))


def _to_coco(rle: Rle) -> dict[str, Any]:
    return {"size": list(rle["size"]), "counts": rle["counts"].encode("ascii")}


def _total_length(counts: str) -> int:
    """Sum of run lengths in a compressed counts string (LEB128-like, deltas from index 3)."""
    total, values, pos = 0, [], 0
    data = counts.encode("ascii")
    while pos < len(data):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(data):
                raise RleError("RLE counts string is truncated.")
            c = data[pos] - 48
            if c < 0 or c > 63:
                raise RleError("RLE counts string has characters outside the COCO alphabet.")
            value |= (c & 0x1F) << (5 * shift)
            more = bool(c & 0x20)
            pos += 1
            shift += 1
            if not more and (c & 0x10):
                value |= -1 << (5 * shift)
        if len(values) > 2:
            value += values[-2]
        if value < 0:
            raise RleError("RLE counts string decodes to a negative run.")
        values.append(value)
        total += value
    return total
