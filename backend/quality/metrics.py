"""Region similarity J and boundary accuracy F as defined by the DAVIS 2017 evaluation.

Definitions (davis2017-evaluation, ``davis2017/metrics.py``: ``db_eval_iou``,
``db_eval_boundary``, ``f_measure``, ``_seg2bmap``), implemented here with numpy and OpenCV:

- J = |A & B| / |A | B|; 1 when both masks are empty.
- F: the 1-pixel boundary map of each mask (``seg2bmap``) is dilated by a disk of radius
  ``ceil(bound_th * image diagonal)`` pixels (bound_th = 0.008); precision = boundary pixels of
  the segmentation within the dilated ground-truth boundary / segmentation boundary pixels,
  recall the other way round, F = 2PR / (P + R). Both boundaries empty: F = 1; exactly one
  empty: F = 0. J and F are both symmetric in their two masks.
- J&F = (J + F) / 2.

Pure: no database, no Django. Masks are [H, W] arrays (any dtype; nonzero = foreground).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from backend.common import rle as rle_codec

# DAVIS boundary tolerance as a fraction of the image diagonal (0.008 -> 8 px at 480x854).
BOUND_TH = 0.008


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Region similarity J (IoU) of two [H, W] masks; 1.0 when both are empty."""
    _check_pair(a, b)
    a, b = a.astype(bool), b.astype(bool)
    union = int(np.count_nonzero(a | b))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(a & b)) / union


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """[H, W] bool boundary map, 1 pixel wide, offset half a pixel towards the origin: a pixel is
    on the boundary when it differs from its east, south or south-east neighbour (the last row
    compares only east, the last column only south, the last pixel is never boundary)."""
    seg = mask.astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    boundary = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    boundary[-1, :] = seg[-1, :] ^ east[-1, :]
    boundary[:, -1] = seg[:, -1] ^ south[:, -1]
    boundary[-1, -1] = False
    return boundary


def boundary_radius(shape: tuple[int, ...], bound_th: float = BOUND_TH) -> int:
    """Dilation radius in pixels: bound_th itself when >= 1, else ceil(bound_th * diagonal)."""
    if bound_th >= 1:
        return int(bound_th)
    return math.ceil(bound_th * math.hypot(shape[0], shape[1]))


def disk(radius: int) -> np.ndarray:
    """[2r+1, 2r+1] uint8 structuring element: offsets (x, y) with x^2 + y^2 <= r^2."""
    offsets = np.arange(-radius, radius + 1)
    x, y = np.meshgrid(offsets, offsets)
    return (x**2 + y**2 <= radius**2).astype(np.uint8)


def boundary_f(a: np.ndarray, b: np.ndarray, bound_th: float = BOUND_TH) -> float:
    """Boundary accuracy F of two [H, W] masks (symmetric)."""
    _check_pair(a, b)
    kernel = disk(boundary_radius(a.shape, bound_th))
    boundary_a, boundary_b = seg2bmap(a), seg2bmap(b)
    dilated_a = _dilate(boundary_a, kernel)
    dilated_b = _dilate(boundary_b, kernel)
    n_a = int(np.count_nonzero(boundary_a))
    n_b = int(np.count_nonzero(boundary_b))
    return _f_from_counts(
        n_a=n_a,
        n_b=n_b,
        a_in_b=int(np.count_nonzero(boundary_a & dilated_b)),
        b_in_a=int(np.count_nonzero(boundary_b & dilated_a)),
    )


def _dilate(boundary: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return cv2.dilate(boundary.astype(np.uint8), kernel).astype(bool)


def _f_from_counts(*, n_a: int, n_b: int, a_in_b: int, b_in_a: int) -> float:
    """F from boundary pixel counts: a's boundary pixels near b's (precision of a against b)
    and b's near a's (recall), with the DAVIS rules for empty boundaries."""
    if n_a == 0 and n_b == 0:
        return 1.0
    if n_a == 0 or n_b == 0:
        return 0.0  # precision 1 and recall 0 (or the reverse): F = 0
    precision, recall = a_in_b / n_a, b_in_a / n_b
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"Masks must be 2-D and of one shape, got {a.shape} and {b.shape}.")


@dataclass(frozen=True)
class MaskFeatures:
    """One mask's region, boundary and dilated boundary, on a crop of the frame that holds the
    mask plus a margin of the dilation radius + 1 (exact: seg2bmap marks only pixels within
    one pixel of the mask, and the dilation reaches ``radius`` further)."""

    y0: int  # crop origin on the frame
    x0: int
    region: np.ndarray  # [h, w] bool
    boundary: np.ndarray  # [h, w] bool, seg2bmap
    dilated: np.ndarray  # [h, w] bool, boundary dilated by the DAVIS disk
    area: int
    boundary_count: int


@dataclass(frozen=True)
class FrameMasks:
    """Features of N masks of one frame, computed once and shared by all pairs."""

    present: np.ndarray  # [N] bool: the masklet has a mask (a row) on this frame
    masks: list[MaskFeatures | None]  # None: no mask, or an empty one


def mask_features(mask: np.ndarray, kernel: np.ndarray) -> MaskFeatures | None:
    """None for an empty mask (no region, no boundary)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    margin = kernel.shape[0] // 2 + 1
    y0, y1 = max(int(rows[0]) - margin, 0), min(int(rows[-1]) + margin + 1, mask.shape[0])
    x0, x1 = max(int(cols[0]) - margin, 0), min(int(cols[-1]) + margin + 1, mask.shape[1])
    # The crop's last row/column is either background with background beyond it, or the
    # frame's own edge: seg2bmap's edge rules give the same pixels as on the full frame.
    region = mask[y0:y1, x0:x1].astype(bool)
    boundary = seg2bmap(region)
    return MaskFeatures(
        y0=y0,
        x0=x0,
        region=region,
        boundary=boundary,
        dilated=_dilate(boundary, kernel),
        area=int(np.count_nonzero(region)),
        boundary_count=int(np.count_nonzero(boundary)),
    )


def frame_masks(
    masks: list[np.ndarray | None], shape: tuple[int, int], bound_th: float = BOUND_TH
) -> FrameMasks:
    """Features of one frame's masks; None = no mask on this frame (compared as empty). The
    dilation radius comes from the full frame's ``shape``."""
    kernel = disk(boundary_radius(shape, bound_th))
    features: list[MaskFeatures | None] = []
    for mask in masks:
        if mask is not None and mask.shape != shape:
            raise ValueError(f"Mask of shape {mask.shape} on a frame of shape {shape}.")
        features.append(None if mask is None else mask_features(mask, kernel))
    return FrameMasks(present=np.array([m is not None for m in masks], bool), masks=features)


def _overlap(a: MaskFeatures, b: MaskFeatures) -> tuple[tuple[slice, slice], ...] | None:
    """The slices of a's and b's crops that cover the same frame pixels, or None."""
    y0, x0 = max(a.y0, b.y0), max(a.x0, b.x0)
    y1 = min(a.y0 + a.region.shape[0], b.y0 + b.region.shape[0])
    x1 = min(a.x0 + a.region.shape[1], b.x0 + b.region.shape[1])
    if y0 >= y1 or x0 >= x1:
        return None
    return (
        (slice(y0 - a.y0, y1 - a.y0), slice(x0 - a.x0, x1 - a.x0)),
        (slice(y0 - b.y0, y1 - b.y0), slice(x0 - b.x0, x1 - b.x0)),
    )


def pair_scores(a: MaskFeatures | None, b: MaskFeatures | None) -> tuple[float, float]:
    """(J, F) of two masks from their features: exactly ``jaccard`` and ``boundary_f``, counting
    only where the two crops overlap (nothing outside can match)."""
    area_a = a.area if a else 0
    area_b = b.area if b else 0
    count_a = a.boundary_count if a else 0
    count_b = b.boundary_count if b else 0
    inter = a_in_b = b_in_a = 0
    window = _overlap(a, b) if a is not None and b is not None else None
    if window is not None:
        sa, sb = window
        inter = int(np.count_nonzero(a.region[sa] & b.region[sb]))  # type: ignore[union-attr]
        a_in_b = int(np.count_nonzero(a.boundary[sa] & b.dilated[sb]))  # type: ignore[union-attr]
        b_in_a = int(np.count_nonzero(b.boundary[sb] & a.dilated[sa]))  # type: ignore[union-attr]
    union = area_a + area_b - inter
    j = 1.0 if union == 0 else inter / union
    f = _f_from_counts(n_a=count_a, n_b=count_b, a_in_b=a_in_b, b_in_a=b_in_a)
    return j, f


def pairwise_frame_scores(
    frame: FrameMasks, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """J and F of every (rows[i], cols[j]) pair of one frame's masks, as [R, C] float64 arrays
    (both symmetric, so each unordered pair is computed once)."""
    j = np.empty((len(rows), len(cols)))
    f = np.empty((len(rows), len(cols)))
    done: dict[tuple[int, int], tuple[float, float]] = {}
    for r, row in enumerate(rows):
        for c, col in enumerate(cols):
            key = (min(int(row), int(col)), max(int(row), int(col)))
            if key not in done:
                done[key] = pair_scores(frame.masks[key[0]], frame.masks[key[1]])
            j[r, c], f[r, c] = done[key]
    return j, f


@dataclass(frozen=True)
class MaskletScore:
    """Means over frames of two masklets; ``frames`` is how many frames were averaged."""

    j: float
    f: float
    frames: int

    @property
    def jf(self) -> float:
        return (self.j + self.f) / 2


def masklet_scores(
    a: Mapping[int, Any], b: Mapping[int, Any], bound_th: float = BOUND_TH
) -> MaskletScore:
    """Mean J and F of two masklets, each a mapping frame_index -> mask ([H, W] array or RLE).

    Frames averaged: the union of the frames either masklet has a mask on. A frame only one of
    them has compares that mask with an empty one (J = 0, F = 0 unless the mask is empty too);
    a frame where both masks are empty scores J = F = 1 (DAVIS convention). Frames neither
    masklet annotated are not counted at all. Two masklets without any frame score J = F = 1.
    """
    frames = sorted(set(a) | set(b))
    if not frames:
        return MaskletScore(j=1.0, f=1.0, frames=0)
    j_sum = f_sum = 0.0
    for index in frames:
        mask_a, mask_b = _as_mask(a.get(index)), _as_mask(b.get(index))
        shape = (mask_a if mask_a is not None else mask_b).shape  # type: ignore[union-attr]
        mask_a = np.zeros(shape, np.uint8) if mask_a is None else mask_a
        mask_b = np.zeros(shape, np.uint8) if mask_b is None else mask_b
        j_sum += jaccard(mask_a, mask_b)
        f_sum += boundary_f(mask_a, mask_b, bound_th)
    return MaskletScore(j=j_sum / len(frames), f=f_sum / len(frames), frames=len(frames))


def _as_mask(value: Any) -> np.ndarray | None:
    if value is None or isinstance(value, np.ndarray):
        return value
    return rle_codec.decode(value)


def mean_or_none(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None
