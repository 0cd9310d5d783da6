"""J and F (DAVIS 2017) against hand-computed cases and against the official evaluation code."""

import numpy as np
import pytest

from backend.common import rle as rle_codec
from backend.quality import metrics
from tests.backend.quality import davis_cases

# Produced by running the official davis2017-evaluation metrics.py (github
# davisvideochallenge/davis2017-evaluation @ ac7c43f, db_eval_iou and db_eval_boundary with
# bound_th=0.008) on davis_cases.cases() in a scratch venv outside the repository (numpy 2.4.6,
# opencv-python-headless 5.0.0.93, scikit-image 0.26.0 for its disk): name -> (J, F).
OFFICIAL = {
    "ellipse_shifted": (0.7376623376623377, 0.3064516129032258),
    "square_vs_disk": (0.8111111111111111, 0.41304998503442086),
    "ring_vs_disk": (0.7486706841545552, 0.7973856209150326),
    "border_halves": (0.8125, 0.19999999999999998),
    "texture": (0.3035762301694004, 0.5775735278799722),
    "davis_size": (0.9078297672231366, 0.6517940079033959),
}


def _square(y0: int, x0: int, size: int = 20, shape: tuple[int, int] = (100, 100)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y0 : y0 + size, x0 : x0 + size] = 1
    return mask


def test_identical_masks_score_one():
    mask = _square(10, 10)
    assert metrics.jaccard(mask, mask) == 1.0
    assert metrics.boundary_f(mask, mask) == 1.0


def test_disjoint_masks_score_zero():
    a, b = _square(0, 0), _square(60, 60)
    assert metrics.jaccard(a, b) == 0.0
    assert metrics.boundary_f(a, b) == 0.0


def test_both_empty_scores_one():
    empty = np.zeros((48, 64), np.uint8)
    assert metrics.jaccard(empty, empty) == 1.0
    assert metrics.boundary_f(empty, empty) == 1.0


def test_one_empty_scores_zero_both_ways():
    empty, mask = np.zeros((100, 100), np.uint8), _square(10, 10)
    assert metrics.jaccard(empty, mask) == metrics.jaccard(mask, empty) == 0.0
    assert metrics.boundary_f(empty, mask) == metrics.boundary_f(mask, empty) == 0.0


def test_square_shifted_by_three_pixels_hand_computed():
    # 20x20 square, then shifted 3 px right, on 100x100: J = 17*20 / (23*20) = 340/460.
    # Disk radius ceil(0.008 * hypot(100, 100)) = 2. Each boundary is the 21x21 outline one
    # pixel up-left of the square (80 px); 44 of them lie within 2 px of the other outline
    # (20 of each horizontal edge, 2 + 2 next to the corners of the near vertical edge), so
    # precision = recall = 44/80 = 0.55 and F = 0.55.
    a, b = _square(10, 10), _square(10, 13)
    assert metrics.boundary_radius(a.shape) == 2
    assert metrics.seg2bmap(a).sum() == 80
    assert metrics.jaccard(a, b) == pytest.approx(340 / 460)
    assert metrics.boundary_f(a, b) == pytest.approx(0.55)


def test_square_shifted_within_tolerance_has_perfect_f():
    a, b = _square(10, 10), _square(10, 12)
    assert metrics.jaccard(a, b) == pytest.approx(360 / 440)
    assert metrics.boundary_f(a, b) == 1.0


def test_disk_matches_the_euclidean_definition():
    assert metrics.disk(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert metrics.disk(2).sum() == 13
    assert metrics.boundary_radius((480, 854)) == 8


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_matches_official_davis_values(name):
    annotation, segmentation = davis_cases.cases()[name]
    expected_j, expected_f = OFFICIAL[name]
    assert metrics.jaccard(annotation, segmentation) == pytest.approx(expected_j, abs=1e-12)
    assert metrics.boundary_f(segmentation, annotation) == pytest.approx(expected_f, abs=1e-12)
    # symmetric
    assert metrics.boundary_f(annotation, segmentation) == pytest.approx(expected_f, abs=1e-12)


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_pairwise_scores_equal_per_pair_scores(name):
    """The cropped per-frame features give exactly the full-frame values, masks touching the
    frame's edges (a full mask, border_halves) included."""
    annotation, segmentation = davis_cases.cases()[name]
    shape = annotation.shape
    masks = [annotation, segmentation, None, np.zeros(shape, np.uint8), np.ones(shape, np.uint8)]
    masks.append(_square(shape[0] - 8, shape[1] - 8, size=8, shape=shape))  # bottom-right corner
    features = metrics.frame_masks(masks, shape)
    everyone = np.arange(len(masks))
    j, f = metrics.pairwise_frame_scores(features, everyone, everyone)
    dense = [np.zeros(shape, np.uint8) if m is None else m for m in masks]
    for r in everyone:
        for c in everyone:
            assert j[r, c] == metrics.jaccard(dense[r], dense[c]), (r, c)
            assert f[r, c] == metrics.boundary_f(dense[r], dense[c]), (r, c)
    assert features.present.tolist() == [True, True, False, True, True, True]


def test_masklet_scores_average_over_the_union_of_frames():
    a0 = _square(10, 10)
    a = {0: rle_codec.encode(a0), 1: rle_codec.encode(a0), 2: a0}
    b = {0: a0, 1: _square(10, 13), 3: _square(50, 50)}  # frame 4: neither -> not counted
    score = metrics.masklet_scores(a, b)
    # frames 0 (1, 1), 1 (340/460, 0.55), 2 (only a: 0, 0), 3 (only b: 0, 0)
    assert score.frames == 4
    assert score.j == pytest.approx((1 + 340 / 460) / 4)
    assert score.f == pytest.approx((1 + 0.55) / 4)
    assert score.jf == pytest.approx((score.j + score.f) / 2)


def test_masklet_scores_both_empty_frames_count_as_one():
    empty = np.zeros((20, 20), np.uint8)
    score = metrics.masklet_scores({5: empty}, {5: empty})
    assert (score.j, score.f, score.frames) == (1.0, 1.0, 1)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        metrics.jaccard(np.zeros((4, 4)), np.zeros((4, 5)))


def test_a_mask_filling_the_frame_has_no_boundary():
    # seg2bmap never marks the frame's edge, so a full mask and an empty one share the empty
    # boundary: J = 0 but F = 1 (the official db_eval_boundary gives 1.0 here as well).
    full, empty = np.ones((30, 40), np.uint8), np.zeros((30, 40), np.uint8)
    assert metrics.seg2bmap(full).sum() == 0
    assert metrics.jaccard(full, empty) == 0.0
    assert metrics.boundary_f(full, empty) == 1.0
