"""Automatic mask generation against the official generator (fixture automatic_micro/).

Same masks (pixel-exact except pixels whose reference logit is within the fixture's
tolerance of the threshold), same order, predicted IoUs within 1e-3 and stability scores
within what those ambiguous pixels allow; box NMS keep lists equal torchvision's exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sam2engine.automatic import AutomaticMaskGenerator, AutomaticMaskSettings
from sam2engine.automatic import rle as rle_ops
from sam2engine.automatic.nms import batched_nms

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sam2ref" / "automatic_micro"
META = json.loads((FIXTURE / "cases.json").read_text())
SCORE_TOL = 1e-3  # sam2engine/README.md: scores / IoUs


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    with np.load(FIXTURE / "automatic.npz") as z:
        return {k: z[k] for k in z.files}


def _split(values: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    return np.split(values, np.cumsum(lengths)[:-1]) if len(lengths) else []


def _stability_bound(counts: np.ndarray, ambiguous: np.ndarray) -> float:
    """Largest change of inner/outer when each count may move by its ambiguous pixels."""
    inner, outer = (int(v) for v in counts)
    a_in, a_out = (int(v) for v in ambiguous)
    ref = inner / outer
    worst = 0.0
    for i in (inner - a_in, inner + a_in):
        for o in (outer - a_out, outer + a_out):
            if o > 0:
                worst = max(worst, abs(min(i, o) / o - ref))
    return worst + 1e-6


def test_fixture_cases_are_meaningful() -> None:
    """Every case keeps several masks, so filters, NMS and order are all exercised."""
    assert len(META["cases"]) >= 5
    for case in META["cases"]:
        assert case["summary"]["masks"] >= 5, case["name"]
    crops = next(c for c in META["cases"] if c["name"] == "crops")
    assert len(crops["summary"]["crops"]) >= 2  # masks from the whole image and from crops


@pytest.mark.slow
@pytest.mark.parametrize("case", META["cases"], ids=lambda c: c["name"])
def test_generator_matches_official(case, arrays, micro_model) -> None:
    name = case["name"]
    image = arrays[f"frame/{case['frame']}"]
    generator = AutomaticMaskGenerator(
        micro_model, AutomaticMaskSettings.from_dict(case["settings"]), precision="float32"
    )
    masks = generator.generate(image)

    lengths = arrays[f"{name}/rle_lengths"]
    assert len(masks) == len(lengths), f"{len(masks)} masks, official {len(lengths)}"
    ref_counts = _split(arrays[f"{name}/rle_counts"], lengths)
    ambiguous = _split(arrays[f"{name}/ambiguous_pixels"], arrays[f"{name}/ambiguous_lengths"])
    h, w = image.shape[:2]
    for i, got in enumerate(masks):
        where = f"{name} mask {i}"
        ref_rle: rle_ops.UncompressedRle = {"size": [h, w], "counts": ref_counts[i].tolist()}
        ref_mask = rle_ops.decode(ref_rle)
        mask = got.mask()
        assert got.rle["size"] == [h, w]
        differing = np.flatnonzero((mask != ref_mask).ravel())
        assert np.isin(differing, ambiguous[i]).all(), (
            f"{where}: {len(differing)} pixels differ, not all within "
            f"{META['logit_tolerance']} of the threshold"
        )
        assert got.predicted_iou == pytest.approx(
            float(arrays[f"{name}/predicted_iou"][i]), abs=SCORE_TOL
        ), where
        bound = _stability_bound(
            arrays[f"{name}/stability_counts"][i], arrays[f"{name}/stability_ambiguous"][i]
        )
        assert got.stability_score == pytest.approx(
            float(arrays[f"{name}/stability_score"][i]), abs=max(bound, SCORE_TOL)
        ), where
        assert got.point_coords == pytest.approx(
            tuple(arrays[f"{name}/point_coords"][i].tolist()), abs=1e-4
        ), where
        assert got.crop_box == tuple(arrays[f"{name}/crop_box"][i].tolist()), where
        if len(differing) == 0:
            assert got.rle["counts"] == ref_rle["counts"], where
            assert got.area == int(arrays[f"{name}/area"][i]), where
            assert got.bbox == tuple(arrays[f"{name}/bbox"][i].tolist()), where
        # The record's own fields agree with its mask whatever the reference.
        assert got.area == int(mask.sum())
        ys, xs = np.nonzero(mask)
        assert len(xs) > 0, where  # the stability filter drops empty masks (0 / 0)
        assert got.bbox == (
            float(xs.min()),
            float(ys.min()),
            float(xs.max() - xs.min()),
            float(ys.max() - ys.min()),
        )


@pytest.mark.parametrize("case", META["nms"], ids=lambda c: c["name"])
def test_batched_nms_equals_torchvision(case, arrays) -> None:
    """Same kept boxes in the same order as torchvision 0.29.1's batched_nms, ties,
    duplicates, empty boxes and the one-pass-per-category route (> 1000 boxes) included."""
    p = f"nms/{case['name']}"
    keep = batched_nms(
        torch.from_numpy(arrays[f"{p}/boxes"]),
        torch.from_numpy(arrays[f"{p}/scores"]),
        torch.from_numpy(arrays[f"{p}/categories"]),
        case["iou_threshold"],
    )
    assert keep.dtype == torch.int64
    assert keep.tolist() == arrays[f"{p}/keep"].tolist()
