"""Automatic mask generator: its parts (grids, crops, boxes, stability, RLE, NMS), settings
and behaviour beyond the parity fixture."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from pycocotools import mask as coco_mask

from sam2engine.automatic import (
    AutomaticMaskError,
    AutomaticMaskGenerator,
    AutomaticMaskSettings,
    geometry,
)
from sam2engine.automatic import nms as nms_module
from sam2engine.automatic import rle as rle_ops
from sam2engine.automatic.nms import batched_nms, nms
from sam2engine.inference.image_predictor import ImagePredictor

# ----------------------------------------------------------------------- grids and crops


def test_point_grid_is_cell_centres_x_fastest() -> None:
    assert geometry.point_grid(1).tolist() == [[0.5, 0.5]]
    assert geometry.point_grid(2).tolist() == [
        [0.25, 0.25],
        [0.75, 0.25],
        [0.25, 0.75],
        [0.75, 0.75],
    ]
    grid = geometry.point_grid(32)
    assert grid.shape == (1024, 2)
    assert grid.dtype == np.float64
    assert grid.min() == pytest.approx(1 / 64)
    assert grid.max() == pytest.approx(1 - 1 / 64)


def test_layer_grids_shrink_by_the_downscale_factor() -> None:
    grids = geometry.layer_point_grids(32, 2, 2)
    assert [len(g) for g in grids] == [32**2, 16**2, 8**2]
    assert [len(g) for g in geometry.layer_point_grids(10, 1, 3)] == [100, 9]  # int(10 / 3)


def test_crop_boxes_overlap_and_order() -> None:
    """270 x 480 image, one crop layer: overlap int(512/1500 * 270) = 92 pixels, crops of
    ceil((92 + 480) / 2) = 286 by ceil((92 + 270) / 2) = 181, x outer, y inner."""
    boxes = geometry.crop_boxes(270, 480, 1, 512 / 1500)
    assert boxes == [
        ((0, 0, 480, 270), 0),
        ((0, 0, 286, 181), 1),
        ((0, 89, 286, 270), 1),
        ((194, 0, 480, 181), 1),
        ((194, 89, 480, 270), 1),
    ]
    two = geometry.crop_boxes(270, 480, 2, 512 / 1500)
    assert len(two) == 1 + 4 + 16
    for (x0, y0, x1, y1), _ in two:
        assert 0 <= x0 < x1 <= 480
        assert 0 <= y0 < y1 <= 270
    assert geometry.crop_boxes(50, 60, 0, 0.3) == [((0, 0, 60, 50), 0)]


def test_mask_boxes_are_inclusive_and_zero_when_empty() -> None:
    masks = torch.zeros(3, 5, 7, dtype=torch.bool)
    masks[1, 2, 3] = True
    masks[2, 1:4, 0:6] = True
    boxes = geometry.mask_boxes(masks)
    assert boxes.dtype == torch.int64
    assert boxes.tolist() == [[0, 0, 0, 0], [3, 2, 3, 2], [0, 1, 5, 3]]
    assert geometry.mask_boxes(torch.zeros(0, 4, 4, dtype=torch.bool)).shape == (0, 4)


def test_stability_score_is_the_iou_of_the_two_cuts() -> None:
    logits = torch.tensor(
        [
            [[2.0, 0.5, -0.5, -2.0]],  # > +1: 1 pixel, > -1: 3 pixels
            [[5.0, 5.0, 5.0, 5.0]],
            [[-5.0, -5.0, -5.0, -5.0]],
        ]
    )
    scores = geometry.stability_scores(logits, 0.0, 1.0)
    assert scores.dtype == torch.float32
    assert scores[0].item() == pytest.approx(1 / 3)
    assert scores[1].item() == 1.0
    assert math.isnan(scores[2].item())  # 0 / 0: dropped by any positive threshold


def test_near_crop_edge_ignores_image_edges() -> None:
    crop = (100, 0, 300, 200)  # inner edges: x = 100 (left) and x = 300 (right)
    boxes = torch.tensor(
        [
            [5, 50, 50, 120],  # x0 = 105 in the image: near the inner left edge
            [60, 0, 120, 40],  # y0 = 0 is the image edge too: fine
            [60, 60, 190, 199],  # x1 = 290: near the inner right edge
            [30, 30, 150, 150],  # well inside
        ]
    )
    near = geometry.near_crop_edge(boxes, crop, (0, 0, 400, 200))
    assert near.tolist() == [True, False, True, False]


def test_uncrop_masks_pads_to_image_size() -> None:
    masks = torch.ones(2, 3, 4, dtype=torch.bool)
    out = geometry.uncrop_masks(masks, (2, 1, 6, 4), 6, 8)
    assert out.shape == (2, 6, 8)
    assert out[:, 1:4, 2:6].all()
    assert int(out.sum()) == 2 * 12
    assert geometry.uncrop_masks(masks, (0, 0, 4, 3), 3, 4) is masks


# ----------------------------------------------------------------------- RLE


def _random_masks(n: int, h: int, w: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    masks = torch.rand(n, h, w, generator=g) > 0.6
    masks[0] = False
    masks[1] = True
    masks[2, 0, 0] = True  # first pixel set: counts start with an empty background run
    return masks


def test_rle_round_trip_column_major() -> None:
    masks = _random_masks(6, 7, 9, seed=0)
    encoded = rle_ops.encode_masks(masks)
    assert encoded[0] == {"size": [7, 9], "counts": [63]}
    assert encoded[1] == {"size": [7, 9], "counts": [0, 63]}
    assert encoded[2]["counts"][0] == 0
    for m, r in zip(masks, encoded, strict=True):
        assert sum(r["counts"]) == 63
        assert np.array_equal(rle_ops.decode(r), m.numpy())
        assert rle_ops.area(r) == int(m.sum())
    col_major = masks[3].numpy().T.ravel()
    runs = encoded[3]["counts"]
    assert col_major[: runs[0]].sum() == 0  # column-major order
    assert col_major[runs[0]]


def test_rle_compress_equals_pycocotools() -> None:
    masks = _random_masks(5, 31, 23, seed=1)
    for m, r in zip(masks, rle_ops.encode_masks(masks), strict=True):
        ref = coco_mask.encode(np.asfortranarray(m.numpy().astype(np.uint8)))
        assert rle_ops.compress(r) == {"size": [31, 23], "counts": ref["counts"].decode()}
        from_dict = coco_mask.frPyObjects(dict(r), 31, 23)
        assert from_dict["counts"].decode() == rle_ops.compress(r)["counts"]


def test_rle_decode_rejects_wrong_totals() -> None:
    with pytest.raises(ValueError, match="add up"):
        rle_ops.decode({"size": [2, 2], "counts": [1, 2]})


# ----------------------------------------------------------------------- NMS


def _reference_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[int]:
    """Greedy NMS written out pair by pair (float32 arithmetic, stable ranking)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    b = boxes.astype(np.float32)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    removed, keep = set(), []
    for a, i in enumerate(order):
        if i in removed:
            continue
        keep.append(i)
        for j in order[a + 1 :]:
            w = max(np.float32(0), min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]))
            h = max(np.float32(0), min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]))
            inter = np.float32(w * h)
            with np.errstate(invalid="ignore"):
                iou = inter / np.float32(area[i] + area[j] - inter)
            if float(iou) > threshold:
                removed.add(j)
    return keep


def test_nms_equals_pairwise_reference_across_blocks(monkeypatch) -> None:
    monkeypatch.setattr(nms_module, "_BLOCK", 37)  # many blocks, a partial last one
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 200, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 80, (300, 2))], 1).astype(np.float32)
    scores = rng.uniform(0, 1, 300).astype(np.float32)  # distinct: ranking is unambiguous
    keep = nms(torch.from_numpy(boxes), torch.from_numpy(scores), 0.45)
    assert keep.tolist() == _reference_nms(boxes, scores, 0.45)


def test_nms_threshold_is_strict_and_empty_boxes_survive() -> None:
    boxes = torch.tensor(
        [[0, 0, 4, 1], [0, 0, 2, 1], [0, 0, 0, 0], [0, 0, 0, 0], [10, 10, 12, 12]],
        dtype=torch.float32,
    )
    scores = torch.tensor([0.9, 0.8, 0.7, 0.7, 0.1])
    # IoU of the first two is exactly 0.5: kept at threshold 0.5, dropped below it.
    assert nms(boxes, scores, 0.5).tolist() == [0, 1, 2, 3, 4]
    assert nms(boxes, scores, 0.49).tolist() == [0, 2, 3, 4]
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []


def test_batched_nms_keeps_categories_apart() -> None:
    boxes = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 10], [1, 1, 10, 10]], dtype=torch.float32)
    scores = torch.tensor([0.5, 0.9, 0.7])
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist() == [1, 2]
    assert batched_nms(boxes, scores, torch.tensor([0, 1, 2]), 0.5).tolist() == [1, 2, 0]
    assert batched_nms(boxes, scores, torch.zeros(3, dtype=torch.int64), 0.5).tolist() == [1]
    with pytest.raises(ValueError, match="categories"):
        batched_nms(boxes, scores, torch.zeros(2, dtype=torch.int64), 0.5)
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        nms(boxes[:, :3], scores, 0.5)


# ----------------------------------------------------------------------- settings


def test_settings_defaults_are_the_official_ones() -> None:
    s = AutomaticMaskSettings()
    assert (s.points_per_side, s.points_per_batch) == (32, 64)
    assert (s.pred_iou_thresh, s.stability_score_thresh, s.stability_score_offset) == (
        0.8,
        0.95,
        1.0,
    )
    assert (s.mask_threshold, s.box_nms_thresh, s.crop_nms_thresh) == (0.0, 0.7, 0.7)
    assert (s.crop_n_layers, s.crop_overlap_ratio, s.crop_n_points_downscale_factor) == (
        0,
        512 / 1500,
        1,
    )
    assert (s.min_mask_region_area, s.use_m2m, s.multimask_output) == (0, False, True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"points_per_side": None}, "exactly one"),
        ({"point_grids": (((0.5, 0.5),),)}, "exactly one"),
        ({"points_per_side": 0}, "points_per_side"),
        ({"points_per_batch": 0}, "points_per_batch"),
        (
            {"points_per_side": 3, "crop_n_layers": 1, "crop_n_points_downscale_factor": 4},
            "no point",
        ),
        ({"pred_iou_thresh": 1.5}, "pred_iou_thresh"),
        ({"stability_score_thresh": float("nan")}, "stability_score_thresh"),
        ({"box_nms_thresh": -0.1}, "box_nms_thresh"),
        ({"crop_n_layers": -1}, "crop_n_layers"),
        ({"crop_overlap_ratio": 2.0}, "crop_overlap_ratio"),
        ({"min_mask_region_area": 2.5}, "min_mask_region_area"),
        ({"stability_score_offset": -1.0}, "stability_score_offset"),
        ({"use_m2m": True, "points_per_batch": True}, "points_per_batch"),
    ],
)
def test_settings_reject_bad_values(changes, message) -> None:
    with pytest.raises(AutomaticMaskError, match=message):
        dataclasses.replace(AutomaticMaskSettings(), **changes)


def test_settings_from_dict() -> None:
    s = AutomaticMaskSettings.from_dict(
        {"points_per_side": None, "point_grids": [[[0.5, 0.5], [0.1, 0.9]]], "use_m2m": True}
    )
    assert s.point_grids == (((0.5, 0.5), (0.1, 0.9)),)
    with pytest.raises(AutomaticMaskError, match="unknown settings: bogus"):
        AutomaticMaskSettings.from_dict({"bogus": 1})
    with pytest.raises(AutomaticMaskError, match="point_grids must be"):
        AutomaticMaskSettings.from_dict({"points_per_side": None, "point_grids": [[1, 2]]})
    with pytest.raises(AutomaticMaskError, match="outside"):
        AutomaticMaskSettings.from_dict({"points_per_side": None, "point_grids": [[[2, 0]]]})
    with pytest.raises(AutomaticMaskError, match="needs 2"):
        AutomaticMaskSettings.from_dict(
            {"points_per_side": None, "point_grids": [[[0.5, 0.5]]], "crop_n_layers": 1}
        )


# ----------------------------------------------------------------------- generator

# Settings under which the micro model (random weights) keeps several masks; see the
# fixture's README.
MICRO = {
    "points_per_side": 8,
    "mask_threshold": 3.0,
    "stability_score_offset": 0.5,
    "pred_iou_thresh": 0.3,
    "stability_score_thresh": 0.3,
    "min_mask_region_area": 16,
}


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:96, 0:128]
    img = np.stack([xx * 2, yy * 2, (xx + yy)], -1).astype(np.float64)
    img[(xx - 40) ** 2 + (yy - 50) ** 2 < 300] = (230, 40, 40)
    img += rng.normal(0, 5, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_generate_records_are_consistent(micro_model, image) -> None:
    gen = AutomaticMaskGenerator(micro_model, AutomaticMaskSettings(**MICRO), "float32")
    masks = gen.generate(image)
    assert len(masks) >= 2
    ious = [m.predicted_iou for m in masks]
    assert ious == sorted(ious, reverse=True)  # one crop: NMS order, by predicted IoU
    for m in masks:
        binary = m.mask()
        assert binary.shape == (96, 128)
        assert m.area == int(binary.sum()) > 0
        ys, xs = np.nonzero(binary)
        assert m.bbox == (xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min())
        assert m.predicted_iou > 0.3
        assert m.stability_score >= 0.3
        assert m.crop_box == (0.0, 0.0, 128.0, 96.0)
        assert (m.point_coords[0] - 8.0) % 16 == 0  # grid cell centres of an 8 x 8 grid
        record = m.to_record("uncompressed_rle")
        assert set(record) == {
            "segmentation",
            "area",
            "bbox",
            "predicted_iou",
            "point_coords",
            "stability_score",
            "crop_box",
        }
        assert record["point_coords"] == [list(m.point_coords)]
        assert record["segmentation"] == m.rle
        assert np.array_equal(m.to_record()["segmentation"], binary)
        coco = m.to_record("coco_rle")["segmentation"]
        assert (
            coco_mask.decode({"size": coco["size"], "counts": coco["counts"].encode()})
            .astype(bool)
            .tolist()
            == binary.tolist()
        )
    with pytest.raises(AutomaticMaskError, match="output_mode"):
        masks[0].to_record("png")  # type: ignore[arg-type]


def test_explicit_point_grids_equal_points_per_side(micro_model, image) -> None:
    grid = tuple((float(x), float(y)) for x, y in geometry.point_grid(8))
    by_side = AutomaticMaskGenerator(micro_model, AutomaticMaskSettings(**MICRO), "float32")
    explicit = AutomaticMaskGenerator(
        micro_model,
        AutomaticMaskSettings(**{**MICRO, "points_per_side": None, "point_grids": (grid,)}),
        "float32",
    )
    a, b = by_side.generate(image), explicit.generate(image)
    assert [m.rle for m in a] == [m.rle for m in b]


def test_nothing_passes_gives_an_empty_list_even_with_crops(micro_model, image) -> None:
    """The official code raises on an empty result with crops (box_area of an empty
    tensor); here it is just no masks."""
    settings = AutomaticMaskSettings(
        points_per_side=4, pred_iou_thresh=1.0, crop_n_layers=1, stability_score_thresh=1.0
    )
    assert AutomaticMaskGenerator(micro_model, settings, "float32").generate(image) == []


def test_generate_rejects_non_rgb_uint8(micro_model) -> None:
    gen = AutomaticMaskGenerator(micro_model, AutomaticMaskSettings(points_per_side=2))
    with pytest.raises(ValueError, match="uint8"):
        gen.generate(np.zeros((10, 10, 3), np.float32))


def test_upscale_of_a_subset_equals_the_full_prediction(micro_model, image) -> None:
    """The generator upscales only the masks that pass the IoU filter. Same values up to
    float rounding: the last bit of torch's CPU bilinear kernel depends on the tensor's
    layout (channel count), not on the other masks' values."""
    pred = ImagePredictor(micro_model, precision="float32")
    pred.set_image(image)
    points = torch.tensor([[[20.0, 30.0]], [[90.0, 60.0]], [[64.0, 10.0]]])
    labels = torch.ones(3, 1, dtype=torch.int32)
    full = pred.predict_tensors(points, labels, return_logits=True)
    low = pred.predict_tensors(points, labels, upscale=False)
    assert torch.equal(low.masks, full.decoder.masks.float())
    assert torch.equal(pred.upscale(low.masks), full.masks)
    subset = pred.upscale(low.masks[1:2, 2:3])
    assert (subset - full.masks[1:2, 2:3]).abs().max().item() < 1e-5
