import numpy as np
import pytest
from pycocotools import mask as coco

from backend.common import rle


def test_encode_decode_round_trip_matches_pycocotools():
    rng = np.random.default_rng(0)
    mask = (rng.random((37, 53)) > 0.6).astype(np.uint8)
    encoded = rle.encode(mask)
    assert encoded["size"] == [37, 53]
    assert np.array_equal(rle.decode(encoded), mask)
    assert rle.area(encoded) == int(mask.sum())
    reference = coco.encode(np.asfortranarray(mask))
    assert encoded["counts"] == reference["counts"].decode()


def test_bbox_is_coco_xywh():
    mask = np.zeros((10, 20), np.uint8)
    mask[2:5, 3:9] = 1
    assert rle.bbox(rle.encode(mask)) == [3.0, 2.0, 6.0, 3.0]


def test_validate_accepts_a_real_rle_of_the_right_size():
    encoded = rle.encode(np.eye(8, dtype=np.uint8))
    assert rle.validate(dict(encoded), height=8, width=8) == encoded


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"size": [8, 8]}, "must be an object"),
        ({"size": [8], "counts": "0"}, "size must be"),
        ({"size": [8, 8], "counts": 5}, "counts must be"),
        ({"size": [8, 8], "counts": "PPYo1"}, "do not add up"),
        ({"size": [8, 8], "counts": "\x7f"}, "outside the COCO alphabet"),
    ],
)
def test_validate_rejects_malformed_rle(value, message):  # type: ignore[no-untyped-def]
    with pytest.raises(rle.RleError, match=message):
        rle.validate(value)


def test_validate_rejects_an_rle_of_another_size():
    encoded = rle.encode(np.zeros((4, 6), np.uint8))
    with pytest.raises(rle.RleError, match="does not match"):
        rle.validate(dict(encoded), height=6, width=4)
