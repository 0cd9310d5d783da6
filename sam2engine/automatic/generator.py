"""Automatic mask generation: prompt SAM 2 with a grid of points, keep the good, distinct masks.

Semantics of the official ``SAM2AutomaticMaskGenerator`` (sam2 1.1.0): for the whole image
and, optionally, layers of overlapping crops, every grid point is a one-click prompt (in
batches of ``points_per_batch``). Each crop: predicted masks at the crop's resolution (the
predictor fills holes and removes sprinkles up to ``min_mask_region_area`` low-res pixels),
optionally refined once with their own low-res logits as mask prompt (``use_m2m``), filtered
by predicted IoU (> ``pred_iou_thresh``) and stability (>= ``stability_score_thresh``),
cut at ``mask_threshold``, dropped when their box touches an inner crop edge, de-duplicated
by box NMS on predicted IoU (``box_nms_thresh``). Across crops, box NMS again, preferring
masks of smaller crops (``crop_nms_thresh``). Same order of operations, dtypes and tie
breaks as the official code; see sam2engine/README.md for the measured parity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch

from sam2engine.automatic import geometry
from sam2engine.automatic import rle as rle_codec
from sam2engine.automatic.geometry import CropBox
from sam2engine.automatic.nms import batched_nms
from sam2engine.config import ImagePredictorOptions
from sam2engine.inference.image_predictor import ImagePredictor
from sam2engine.modeling.sam2 import SAM2Model
from sam2engine.ops.preprocess import check_rgb_uint8

OutputMode = Literal["binary_mask", "uncompressed_rle", "coco_rle"]
Box = tuple[float, float, float, float]


class AutomaticMaskError(ValueError):
    """Settings the generator cannot run with."""


@dataclass(frozen=True)
class AutomaticMaskSettings:
    """The official generator's parameters, with its defaults (chosen by Meta for SAM 2
    with a Hiera-L backbone)."""

    # Grid points per image side (points_per_side**2 prompts), or None with point_grids.
    points_per_side: int | None = 32
    # Prompts decoded together; more is faster and needs more memory (masks at image size).
    points_per_batch: int = 64
    # Keep masks whose predicted IoU is above this (0 disables the filter).
    pred_iou_thresh: float = 0.8
    # Keep masks whose stability score is at least this (0 disables the filter).
    stability_score_thresh: float = 0.95
    # The stability score compares the masks cut at mask_threshold -/+ this offset.
    stability_score_offset: float = 1.0
    # Logit above which a pixel belongs to the mask.
    mask_threshold: float = 0.0
    # Box IoU above which the lower-IoU mask of a crop is a duplicate.
    box_nms_thresh: float = 0.7
    # Crop layers beyond the whole image; layer i has (2**i)**2 crops.
    crop_n_layers: int = 0
    # Box IoU above which masks of different crops are duplicates (smaller crop wins).
    crop_nms_thresh: float = 0.7
    # Overlap of neighbouring first-layer crops, as a fraction of the short image side.
    crop_overlap_ratio: float = 512 / 1500
    # Layer i uses points_per_side / factor**i points per side.
    crop_n_points_downscale_factor: int = 1
    # Explicit grids per layer, (x, y) in [0, 1]; exclusive with points_per_side.
    point_grids: tuple[tuple[tuple[float, float], ...], ...] | None = None
    # Holes and islands up to this many low-res mask pixels are filled / removed (0: off).
    min_mask_region_area: int = 0
    # Refine each mask once, prompting with its point and its own low-res logits.
    use_m2m: bool = False
    # Three masks per point (one with False).
    multimask_output: bool = True

    def __post_init__(self) -> None:
        if (self.points_per_side is None) == (self.point_grids is None):
            raise AutomaticMaskError("give exactly one of points_per_side and point_grids")
        _check_int(self.points_per_batch, "points_per_batch", minimum=1)
        _check_int(self.crop_n_layers, "crop_n_layers", minimum=0)
        _check_int(self.crop_n_points_downscale_factor, "crop_n_points_downscale_factor", 1)
        _check_int(self.min_mask_region_area, "min_mask_region_area", minimum=0)
        if self.points_per_side is not None:
            _check_int(self.points_per_side, "points_per_side", minimum=1)
            last = self.crop_n_layers
            if int(self.points_per_side / self.crop_n_points_downscale_factor**last) < 1:
                raise AutomaticMaskError(
                    f"points_per_side {self.points_per_side} leaves no point in crop layer "
                    f"{last} with crop_n_points_downscale_factor "
                    f"{self.crop_n_points_downscale_factor}"
                )
        if self.point_grids is not None:
            _check_point_grids(self.point_grids, self.crop_n_layers)
        for name in ("pred_iou_thresh", "stability_score_thresh"):
            _check_range(getattr(self, name), name, 0.0, 1.0)
        for name in ("box_nms_thresh", "crop_nms_thresh"):
            _check_range(getattr(self, name), name, 0.0, 1.0)
        _check_range(self.crop_overlap_ratio, "crop_overlap_ratio", 0.0, 1.0)
        _check_range(self.stability_score_offset, "stability_score_offset", 0.0, math.inf)
        _check_range(self.mask_threshold, "mask_threshold", -1e9, 1e9)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutomaticMaskSettings:
        """Settings from plain data (JSON); unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise AutomaticMaskError(f"unknown settings: {', '.join(unknown)}")
        values = dict(data)
        grids = values.get("point_grids")
        if grids is not None:
            try:
                values["point_grids"] = tuple(
                    tuple((float(x), float(y)) for x, y in grid) for grid in grids
                )
            except (TypeError, ValueError):
                raise AutomaticMaskError(
                    "point_grids must be lists of [x, y] pairs, one list per crop layer"
                ) from None
        return cls(**values)


@dataclass(frozen=True)
class AutomaticMask:
    """One generated mask with the official record's fields."""

    rle: rle_codec.UncompressedRle  # column-major runs at image size (official "uncompressed_rle")
    area: int  # foreground pixels
    bbox: Box  # (x, y, w, h) with w = x_max - x_min (max inclusive), as the official code
    predicted_iou: float
    stability_score: float
    point_coords: tuple[float, float]  # the prompt (x, y) in image pixels
    crop_box: Box  # (x, y, w, h) of the crop the mask was predicted in

    def mask(self) -> np.ndarray:
        """[H, W] bool (official "binary_mask")."""
        return rle_codec.decode(self.rle)

    def coco_rle(self) -> rle_codec.CocoRle:
        """Compressed COCO RLE (official "coco_rle", made without pycocotools)."""
        return rle_codec.compress(self.rle)

    def to_record(self, output_mode: OutputMode = "binary_mask") -> dict[str, Any]:
        """The official generator's dict for this mask, ``segmentation`` in ``output_mode``."""
        segmentation: Any
        if output_mode == "binary_mask":
            segmentation = self.mask()
        elif output_mode == "uncompressed_rle":
            segmentation = {"size": list(self.rle["size"]), "counts": list(self.rle["counts"])}
        elif output_mode == "coco_rle":
            segmentation = self.coco_rle()
        else:
            raise AutomaticMaskError(f"unknown output_mode {output_mode!r}")
        return {
            "segmentation": segmentation,
            "area": self.area,
            "bbox": list(self.bbox),
            "predicted_iou": self.predicted_iou,
            "point_coords": [list(self.point_coords)],
            "stability_score": self.stability_score,
            "crop_box": list(self.crop_box),
        }


@dataclass
class _Candidates:
    """Masks kept so far, as parallel rows (the official ``MaskData``)."""

    boxes: torch.Tensor  # [N, 4] int64 x0, y0, x1, y1 (max inclusive)
    ious: torch.Tensor  # [N] float32 predicted IoU
    stability: torch.Tensor  # [N] float32
    points: torch.Tensor  # [N, 2] float32 prompt (x, y)
    rles: list[rle_codec.UncompressedRle] = field(default_factory=list)
    crop_boxes: torch.Tensor | None = None  # [N, 4] int64, set once the crop is done

    def __len__(self) -> int:
        return len(self.rles)

    def select(self, keep: torch.Tensor) -> _Candidates:
        """Rows ``keep`` (int64 indices, in that order) or where ``keep`` (bool) is set."""
        index = torch.where(keep)[0] if keep.dtype == torch.bool else keep
        rows = index.tolist()
        return _Candidates(
            boxes=self.boxes[index.to(self.boxes.device)],
            ious=self.ious[index.to(self.ious.device)],
            stability=self.stability[index.to(self.stability.device)],
            points=self.points[index.to(self.points.device)],
            rles=[self.rles[i] for i in rows],
            crop_boxes=None if self.crop_boxes is None else self.crop_boxes[index.cpu()],
        )

    @staticmethod
    def empty(device: torch.device) -> _Candidates:
        return _Candidates(
            boxes=torch.zeros((0, 4), dtype=torch.int64, device=device),
            ious=torch.zeros(0, device=device),
            stability=torch.zeros(0, device=device),
            points=torch.zeros((0, 2), device=device),
        )

    @staticmethod
    def cat(parts: Sequence[_Candidates]) -> _Candidates:
        crop_boxes = [p.crop_boxes for p in parts]
        return _Candidates(
            boxes=torch.cat([p.boxes for p in parts]),
            ious=torch.cat([p.ious for p in parts]),
            stability=torch.cat([p.stability for p in parts]),
            points=torch.cat([p.points for p in parts]),
            rles=[r for p in parts for r in p.rles],
            crop_boxes=None
            if any(c is None for c in crop_boxes)
            else torch.cat([c for c in crop_boxes if c is not None]),
        )


class AutomaticMaskGenerator:
    """``generate(image)`` -> masks for everything in an image, as the official generator.

    The model's image predictor is reused for every crop; ``precision`` as for
    :class:`~sam2engine.inference.image_predictor.ImagePredictor`.
    """

    def __init__(
        self,
        model: SAM2Model,
        settings: AutomaticMaskSettings | None = None,
        precision: str = "auto",
    ) -> None:
        self.settings = settings if settings is not None else AutomaticMaskSettings()
        s = self.settings
        # The official generator builds its predictor with the default mask threshold (0)
        # and min_mask_region_area as both hole and sprinkle area, whatever the model config.
        self.predictor = ImagePredictor(
            model,
            precision=precision,
            options=ImagePredictorOptions(
                mask_threshold=0.0,
                max_hole_area=float(s.min_mask_region_area),
                max_sprinkle_area=float(s.min_mask_region_area),
            ),
        )
        if s.point_grids is not None:
            self.point_grids = [np.asarray(g, dtype=np.float64) for g in s.point_grids]
        else:
            assert s.points_per_side is not None
            self.point_grids = geometry.layer_point_grids(
                s.points_per_side, s.crop_n_layers, s.crop_n_points_downscale_factor
            )

    @property
    def device(self) -> torch.device:
        return self.predictor.device

    @torch.inference_mode()
    def generate(self, image: np.ndarray) -> list[AutomaticMask]:
        """Masks of an H x W x 3 uint8 RGB image, in the official order (within a crop by
        decreasing predicted IoU; with crops, by crop NMS)."""
        image = check_rgb_uint8(image)
        height, width = int(image.shape[0]), int(image.shape[1])
        s = self.settings
        crops = geometry.crop_boxes(height, width, s.crop_n_layers, s.crop_overlap_ratio)
        data = _Candidates.cat([self._process_crop(image, crop, layer) for crop, layer in crops])
        if len(crops) > 1 and len(data) > 0:
            assert data.crop_boxes is not None
            # Prefer masks from smaller crops.
            scores = 1 / geometry.box_areas(data.crop_boxes)
            keep = batched_nms(
                data.boxes.float(),
                scores.to(data.boxes.device),
                torch.zeros_like(data.boxes[:, 0]),
                s.crop_nms_thresh,
            )
            data = data.select(keep)
        return _records(data)

    def _process_crop(self, image: np.ndarray, crop: CropBox, layer: int) -> _Candidates:
        s = self.settings
        x0, y0, x1, y1 = crop
        crop_image = image[y0:y1, x0:x1, :]
        crop_h, crop_w = int(crop_image.shape[0]), int(crop_image.shape[1])
        self.predictor.set_image(crop_image)
        points = self.point_grids[layer] * np.array([[crop_w, crop_h]])
        image_hw = (int(image.shape[0]), int(image.shape[1]))
        parts = [
            self._process_batch(points[i : i + s.points_per_batch], crop, image_hw)
            for i in range(0, len(points), s.points_per_batch)
        ]
        self.predictor.reset_image()
        data = _Candidates.cat(parts)
        keep = batched_nms(
            data.boxes.float(), data.ious, torch.zeros_like(data.boxes[:, 0]), s.box_nms_thresh
        )
        data = data.select(keep)
        data.boxes = geometry.uncrop_boxes(data.boxes, crop)
        offset = torch.tensor([[x0, y0]], dtype=torch.float32, device=data.points.device)
        data.points = data.points + offset
        data.crop_boxes = torch.tensor([crop], dtype=torch.int64).repeat(len(data), 1)
        return data

    def _process_batch(
        self, points: np.ndarray, crop: CropBox, image_hw: tuple[int, int]
    ) -> _Candidates:
        """points [B, 2] float64 in crop pixels -> the batch's masks that pass the filters."""
        s = self.settings
        height, width = image_hw
        pts = torch.as_tensor(points, dtype=torch.float32, device=self.device)
        labels = torch.ones((pts.shape[0], 1), dtype=torch.int32, device=self.device)
        pred = self.predictor.predict_tensors(
            point_coords=pts[:, None, :],
            point_labels=labels,
            multimask_output=s.multimask_output,
            upscale=False,
        )
        per_point = pred.masks.shape[1]
        low_res = pred.masks.flatten(0, 1)  # [B*K, 4E, 4E] raw decoder logits
        ious = pred.ious.flatten(0, 1)
        pts = pts.repeat_interleave(per_point, dim=0)
        if s.use_m2m:
            low_res, ious = self._refine(pts, pred.low_res_logits.flatten(0, 1))

        # Masks are brought to the crop's size only once they pass the IoU filter (the
        # official code upscales all of them first; each mask gets the same values, up to
        # the last float bit of the bilinear kernel).
        if s.pred_iou_thresh > 0.0:
            keep = ious > s.pred_iou_thresh
            low_res, ious, pts = low_res[keep], ious[keep], pts[keep]
        if low_res.shape[0] == 0:
            return _Candidates.empty(self.device)
        logits = self.predictor.upscale(low_res[:, None])[:, 0]  # [N, h, w] float logits
        del low_res
        stability = geometry.stability_scores(logits, s.mask_threshold, s.stability_score_offset)
        masks = logits > s.mask_threshold
        del logits
        if s.stability_score_thresh > 0.0:
            keep = stability >= s.stability_score_thresh
            masks, ious, pts, stability = masks[keep], ious[keep], pts[keep], stability[keep]
        boxes = geometry.mask_boxes(masks)
        keep = ~geometry.near_crop_edge(boxes, crop, (0, 0, width, height))
        if not bool(keep.all()):
            masks, boxes, ious, pts, stability = (
                masks[keep],
                boxes[keep],
                ious[keep],
                pts[keep],
                stability[keep],
            )
        rles = rle_codec.encode_masks(geometry.uncrop_masks(masks, crop, height, width))
        return _Candidates(boxes=boxes, ious=ious, stability=stability, points=pts, rles=rles)

    def _refine(
        self, points: torch.Tensor, low_res: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One more single-mask prediction per mask: its point plus its own low-res logits
        ([N, 4E, 4E], clamped) as mask prompt, in batches of points_per_batch. Returns the
        new raw low-res logits [N, 4E, 4E] and predicted IoUs [N]."""
        step = self.settings.points_per_batch
        masks, ious = [], []
        for i in range(0, points.shape[0], step):
            chunk = points[i : i + step]
            pred = self.predictor.predict_tensors(
                point_coords=chunk[:, None, :],
                point_labels=torch.ones(
                    (chunk.shape[0], 1), dtype=torch.int32, device=chunk.device
                ),
                mask_input=low_res[i : i + step, None],
                multimask_output=False,
                upscale=False,
            )
            masks.append(pred.masks[:, 0])
            ious.append(pred.ious[:, 0])
        return torch.cat(masks), torch.cat(ious)


def _records(data: _Candidates) -> list[AutomaticMask]:
    assert data.crop_boxes is not None or len(data) == 0
    boxes = data.boxes.float().cpu().numpy()
    ious = data.ious.float().cpu().numpy()
    stability = data.stability.float().cpu().numpy()
    points = data.points.float().cpu().numpy()
    crops = (
        data.crop_boxes.float().cpu().numpy()
        if data.crop_boxes is not None
        else np.zeros((0, 4), np.float32)
    )
    out = []
    for i, run_lengths in enumerate(data.rles):
        out.append(
            AutomaticMask(
                rle=run_lengths,
                area=rle_codec.area(run_lengths),
                bbox=geometry.xyxy_to_xywh(_box(boxes[i])),
                predicted_iou=float(ious[i]),
                stability_score=float(stability[i]),
                point_coords=(float(points[i, 0]), float(points[i, 1])),
                crop_box=geometry.xyxy_to_xywh(_box(crops[i])),
            )
        )
    return out


def _box(row: np.ndarray) -> Box:
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def _check_int(value: object, name: str, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise AutomaticMaskError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_range(value: object, name: str, low: float, high: float) -> None:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or math.isnan(value)
        or not low <= value <= high
    ):
        raise AutomaticMaskError(f"{name} must be a number in [{low}, {high}], got {value!r}")


def _check_point_grids(grids: Sequence[Sequence[Sequence[float]]], crop_n_layers: int) -> None:
    if len(grids) < crop_n_layers + 1:
        raise AutomaticMaskError(
            f"point_grids has {len(grids)} grids; crop_n_layers {crop_n_layers} needs "
            f"{crop_n_layers + 1} (one per layer, the whole image first)"
        )
    for i, grid in enumerate(grids):
        arr = np.asarray(grid, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != 2:
            raise AutomaticMaskError(f"point_grids[{i}] must be a non-empty list of (x, y)")
        if not np.all((arr >= 0) & (arr <= 1)):
            raise AutomaticMaskError(f"point_grids[{i}] has points outside [0, 1]")
