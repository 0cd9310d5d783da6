"""Masks painted from RLE runs (exports) equal pycocotools' decoding, edge cases included;
the grayscale PNG writer's files read back with OpenCV, Pillow and zlib's checksum."""

import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from backend.common import rle as rle_codec
from backend.exports.formats.images import compose_indices, gray_png, mask_from_rle, rle_runs

H, W = 37, 23  # odd sizes: runs cross column ends at every offset


def _masks() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    masks = [
        np.zeros((H, W), np.uint8),
        np.ones((H, W), np.uint8),
        (rng.random((H, W)) < 0.5).astype(np.uint8),
        (rng.random((H, W)) < 0.97).astype(np.uint8),  # long runs over many columns
    ]
    for y, x in [(0, 0), (H - 1, W - 1), (H - 1, 0), (0, W - 1)]:
        corner = np.zeros((H, W), np.uint8)
        corner[y, x] = 1
        masks.append(corner)
    for _ in range(20):
        box = np.zeros((H, W), np.uint8)
        y0, x0 = rng.integers(0, H), rng.integers(0, W)
        box[y0 : y0 + rng.integers(1, H), x0 : x0 + rng.integers(1, W)] = 1
        masks.append(box)
    return masks


@pytest.mark.parametrize("index", range(len(_masks())))
def test_mask_from_rle_equals_pycocotools(index):
    mask = _masks()[index]
    rle = rle_codec.encode(mask)
    coco = {"size": rle["size"], "counts": rle["counts"].encode("ascii")}

    assert np.array_equal(mask_from_rle(rle), mask_utils.decode(coco))
    assert np.array_equal(mask_from_rle(rle, value=255), mask * 255)
    assert int(rle_runs(rle).sum()) == H * W


def test_compose_indices_lowest_index_wins_and_skips_absent_objects():
    masks = _masks()[2:8]
    rles = [rle_codec.encode(m) for m in masks]
    rles[1] = None

    indices = compose_indices(rles, H, W)

    expected = np.zeros((H, W), np.uint8)
    for k in range(len(masks), 0, -1):
        if rles[k - 1] is not None:
            expected[masks[k - 1] > 0] = k
    assert indices.flags.c_contiguous
    assert np.array_equal(indices, expected)


@pytest.mark.parametrize(
    ("counts", "message"),
    [("0" + chr(47), "outside the COCO alphabet"), ("0" + "`" * 3, "truncated")],
)
def test_broken_counts_are_refused(counts, message):
    with pytest.raises(ValueError, match=message):
        rle_runs({"size": [H, W], "counts": counts})


def test_runs_that_do_not_add_up_are_refused():
    short = rle_codec.encode(np.zeros((H - 1, W), np.uint8))["counts"]
    with pytest.raises(ValueError, match="add up"):
        mask_from_rle({"size": [H, W], "counts": short})


def _png_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    cases = [m * 255 for m in _masks()]
    for height, width in [(1, 1), (1, 700), (700, 1), (848, 480), (513, 97)]:
        image = np.zeros((height, width), np.uint8)
        y = int(rng.integers(0, height))
        image[y : y + int(rng.integers(1, height + 1)), int(rng.integers(0, width)) :] = 255
        cases.append(image)
        cases.append(rng.integers(0, 256, (height, width), dtype=np.uint8))  # any grey image
    return cases


@pytest.mark.parametrize("index", range(len(_png_cases())))
def test_gray_png_reads_back_with_opencv_pillow_and_zlib(index):
    image = _png_cases()[index]
    data = gray_png(image)

    with_cv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(with_cv, image)
    with_pillow = Image.open(io.BytesIO(data))
    assert with_pillow.mode == "L"
    assert np.array_equal(np.asarray(with_pillow), image)
    # The spliced deflate stream is one valid zlib stream (zlib checks the Adler-32).
    idat_length = int.from_bytes(data[33:37], "big")
    assert data[37:41] == b"IDAT"
    rows = np.hstack([np.zeros((image.shape[0], 1), np.uint8), image])
    assert zlib.decompress(data[41 : 41 + idat_length]) == rows.tobytes()
