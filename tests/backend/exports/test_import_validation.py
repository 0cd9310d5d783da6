"""Import files of the wrong shape: every value is type-checked, required or not, and
refused with a 400 in plain words that names the field; nothing is written, and nothing is
allocated in proportion to a count the file merely declares."""

import copy
import io
import json
import tracemalloc

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.common import rle as rle_codec
from backend.exports.enums import ImportFormat
from backend.exports.formats.base import FormatError
from backend.exports.formats.images import indexed_png
from backend.exports.services import masklets_import
from backend.masklets.models import Masklet, MaskletFrame
from tests.backend.conftest import client_for
from tests.backend.exports.helpers import box_mask, make_video, zip_bytes

H, W, FRAMES = 24, 32, 8


@pytest.fixture
def target(team):
    return make_video(team.project, name="dst.mp4", frames=FRAMES, width=W, height=H)


def _rle(y0: int) -> dict:
    return rle_codec.encode(box_mask(H, W, y0, y0 + 4, 2, 8))


def _sav() -> dict:
    """Two auto masklets on 24 fps frames 0 and 4 of an 8-frame video."""
    return {
        "video_id": "dst",
        "video_duration": FRAMES / 24,
        "video_frame_count": float(FRAMES),
        "video_height": float(H),
        "video_width": float(W),
        "video_resolution": float(H * W),
        "video_environment": "Outdoor",
        "video_split": "train",
        "masklet": [[_rle(0), _rle(10)], [_rle(2), None]],
        "masklet_id": [0, 1],
        "masklet_size_rel": [0.03, 0.03],
        "masklet_size_abs": [24.0, 24.0],
        "masklet_size_bucket": ["small", "small"],
        "masklet_visibility_changes": [0, 0],
        "masklet_first_appeared_frame": [0, 0],
        "masklet_frame_count": [2, 1],
        "masklet_edited_frame_count": [0, 0],
        "masklet_type": ["auto", "auto"],
        "masklet_stability_score": [[0.9, 1.0], [0.8, None]],
        "masklet_num": 2,
    }


def _ytvis() -> dict:
    return {
        "videos": [
            {
                "id": 7,
                "width": W,
                "height": H,
                "length": 2,
                "file_names": ["v/00000.jpg", "v/00002.jpg"],
            }
        ],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {
                "id": 1,
                "video_id": 7,
                "category_id": 1,
                "iscrowd": 0,
                "segmentations": [_rle(0), None],
                "bboxes": [[2.0, 0.0, 6.0, 4.0], None],
                "areas": [24, None],
                "score": 0.75,
            }
        ],
    }


def _import(team, video, format: str, data: bytes, name: str = "f.json", **kw) -> list[Masklet]:
    return masklets_import(
        video=video, actor=team.manager, format=format, file=io.BytesIO(data), file_name=name, **kw
    )


def _refused(
    team, video, format: str, data: bytes, match: str, name: str = "f.json"
) -> FormatError:
    before = (Masklet.objects.count(), MaskletFrame.objects.count())
    with pytest.raises(FormatError, match=match) as info:
        _import(team, video, format, data, name)
    assert info.value.status == 400
    assert (Masklet.objects.count(), MaskletFrame.objects.count()) == before
    json.dumps(info.value.extra)  # the API can send it
    return info.value


def test_the_valid_files_import_with_their_types_and_scores(team, target):
    masklets = _import(team, target, ImportFormat.SAV, json.dumps(_sav()).encode())
    assert [m.source for m in masklets] == ["auto", "auto"]
    rows = [
        list(m.frames.order_by("frame_index").values_list("frame_index", "score")) for m in masklets
    ]
    assert rows == [[(0, 0.9), (4, 0.8)], [(0, 1.0)]]  # null: not annotated on frame 4
    target.refresh_from_db()
    assert (target.environment, target.split) == ("Outdoor", "train")

    (masklet,) = _import(team, target, ImportFormat.YTVIS, json.dumps(_ytvis()).encode())
    assert list(masklet.frames.values_list("frame_index", "score")) == [(0, 0.75)]


SAV_CASES = [
    (
        "masklet_type",
        ["manual", "robot"],
        r"masklet_type\[1\] must be 'manual' or 'auto', not the text 'robot'",
    ),
    (
        "masklet_edited_frame_count",
        ["3", 0],
        r"masklet_edited_frame_count\[0\] must be a whole number, not the text '3'",
    ),
    ("masklet_edited_frame_count", [1], "masklet_edited_frame_count must list 2 items, not 1"),
    ("masklet_edited_frame_count", [-1, 0], r"\[0\] must be at least 0"),
    ("masklet_stability_score", [[0.5, 0.5]], "masklet_stability_score must list 2 items, not 1"),
    (
        "masklet_stability_score",
        [[0.5, "x"], [1, 1]],
        r"masklet_stability_score\[0\]\[1\] must be a number",
    ),
    ("masklet_stability_score", [[1.5, 1], [1, 1]], r"\[0\]\[0\] must be at most 1"),
    ("masklet_stability_score", {"0": 1}, "masklet_stability_score must be a list, not an object"),
    ("video_environment", 5, "video_environment must be text, not the number 5"),
    ("video_environment", "Underwater", "video_environment must be 'Indoor' or 'Outdoor' or ''"),
    ("video_split", ["train"], "video_split must be text, not a list of 1 item"),
    ("video_id", 7, "video_id must be text"),
    ("video_duration", "long", "video_duration must be a number"),
    ("video_frame_count", "8", "video_frame_count must be a whole number"),
    ("video_frame_count", 9, "video_frame_count is 9, the video's is 8"),
    ("video_height", 24.5, "video_height must be a whole number, not the number 24.5"),
    ("masklet_id", ["a", "b"], r"masklet_id\[0\] must be a whole number"),
    ("masklet_size_bucket", ["tiny", "small"], r"masklet_size_bucket\[0\] must be 'small' or"),
    ("masklet_size_abs", [1, None], r"masklet_size_abs\[1\] must be a number, not null"),
    (
        "masklet_first_appeared_frame",
        [0.5, 0],
        r"masklet_first_appeared_frame\[0\] must be a whole",
    ),
    ("masklet_num", True, "masklet_num must be a whole number, not true"),
    ("masklet_num", 3, r"masklet\[0\] must list 3 masks \(masklet_num\), not 2"),
    (
        "masklet",
        [[_rle(0), {"size": [H, W], "counts": 5}], [None, None]],
        r"masklet\[0\]\[1\]: RLE counts",
    ),
    ("masklet", [[_rle(0), [1, 2]], [None, None]], r"masklet\[0\]\[1\]: RLE must be an object"),
    ("masklet", "everything", "masklet must be a list, not the text 'everything'"),
]


@pytest.mark.parametrize(
    ("field", "value", "match"), SAV_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SAV_CASES)]
)
def test_sav_fields_of_the_wrong_type_are_refused(team, target, field, value, match):
    doc = _sav()
    doc[field] = value
    error = _refused(team, target, ImportFormat.SAV, json.dumps(doc).encode(), match)
    assert error.extra["field"].startswith(field.split("[")[0]) or field == "masklet_num"


def test_sav_masklet_num_of_millions_is_refused_before_allocating(team, target):
    # given a 400-byte file declaring 3,000,000 masklets
    doc = {
        "masklet": [[None]],
        "masklet_num": 3_000_000,
        "video_height": H,
        "video_width": W,
        "masklet_type": ["auto"],
        "masklet_id": [0],
        "video_id": "x" * 200,
    }
    data = json.dumps(doc).encode()
    assert len(data) < 400

    # when imported, memory stays small and the file is refused
    tracemalloc.start()
    error = _refused(team, target, ImportFormat.SAV, data, r"masklet\[0\] must list 3000000 masks")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak
    assert error.extra == {"file": "f.json", "field": "masklet[0]", "frame": 0}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            b'{"masklet": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "nests lists or objects too deeply",
        ),
        (b'{"masklet": [[{"size": [24, 32], "counts": NaN}]]}', "NaN is not a JSON number"),
        (b'{"masklet_num": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[1, 2]", "an SA-V file is a JSON object, not a list of 2 items"),
        (b"\xff\xfe{", "not valid JSON"),
    ],
    ids=["nested", "nan", "huge-integer", "not-an-object", "not-utf"],
)
def test_sav_files_that_are_not_plain_json_are_refused(team, target, data, match):
    _refused(team, target, ImportFormat.SAV, data, match)


YTVIS_CASES = [
    (
        ("categories", 0, "id"),
        [1, 2],
        r"categories\[0\].id must be a whole number, not a list of 2 items",
    ),
    (("categories", 0, "name"), 5, r"categories\[0\].name must be text"),
    (
        ("annotations", 0, "category_id"),
        {"id": 1},
        r"annotations\[0\].category_id must be a whole number, not an object",
    ),
    (("annotations", 0, "category_id"), 9, r"category_id is 9, which is not among the categories"),
    (("annotations", 0, "video_id"), [7], r"annotations\[0\].video_id must be a whole number"),
    (("annotations", 0, "id"), 1.5, r"annotations\[0\].id must be a whole number"),
    (
        ("annotations", 0, "score"),
        "high",
        r"annotations\[0\].score must be a number, not the text 'high'",
    ),
    (("annotations", 0, "score"), 2, r"score must be at most 1"),
    (("annotations", 0, "iscrowd"), 2, r"iscrowd must be at most 1"),
    (("annotations", 0, "bboxes"), [[1, 2, 3], None], r"bboxes\[0\] must list 4 items, not 3"),
    (("annotations", 0, "areas"), ["x", None], r"areas\[0\] must be a number"),
    (
        ("annotations", 0, "segmentations"),
        {"0": None},
        r"segmentations must be a list, not an object",
    ),
    (("videos", 0, "id"), "7", r"videos\[0\].id must be a whole number, not the text '7'"),
    (("videos", 0, "file_names"), [5, 6], r"file_names\[0\] must be text"),
    (("videos", 0, "width"), "32", "video width must be a whole number"),
    (("annotations", 0), 5, r"annotations\[0\] must be an object, not the number 5"),
]


@pytest.mark.parametrize(
    ("path", "value", "match"),
    YTVIS_CASES,
    ids=[".".join(map(str, c[0])) + f"-{i}" for i, c in enumerate(YTVIS_CASES)],
)
def test_ytvis_fields_of_the_wrong_type_are_refused(team, target, path, value, match):
    doc = _ytvis()
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    _refused(team, target, ImportFormat.YTVIS, json.dumps(doc).encode(), match)


def test_ytvis_repeated_category_ids_are_refused(team, target):
    doc = _ytvis()
    doc["categories"].append(copy.deepcopy(doc["categories"][0]))
    _refused(
        team,
        target,
        ImportFormat.YTVIS,
        json.dumps(doc).encode(),
        r"categories\[1\].id repeats the id 1",
    )


def _png() -> bytes:
    return indexed_png(np.ones((H, W), np.uint8))


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ({"Annotations/v/0²1.png": _png()}, "file names must be frame numbers"),
        ({"Annotations/v/" + "0" * 20 + ".png": _png()}, "file names must be frame numbers"),
        (
            {"Annotations/v/00000.png": _png(), "Annotations/v/0000.png": _png()},
            "frame 0 is given twice",
        ),
        (
            {
                "Annotations/v/00000.png": _png(),
                "meta.json": b'{"videos": {"v": {"objects": {"1": {"category": 5}}}}}',
            },
            r"objects.1.category must be text",
        ),
        (
            {"Annotations/v/00000.png": _png(), "meta.json": b'{"videos": []}'},
            "videos must be an object, not a list",
        ),
        (
            {
                "Annotations/v/00000.png": _png(),
                "meta.json": b'{"videos": {"v": {"objects": {"one": {}}}}}',
            },
            "must be keyed by the object's index",
        ),
    ],
    ids=["unicode-digit", "long-number", "twice", "category-type", "videos-type", "object-key"],
)
def test_palette_zips_of_the_wrong_shape_are_refused(team, target, entries, match):
    _refused(team, target, ImportFormat.YTVOS, zip_bytes(entries), match, name="y.zip")


def test_sav_val_png_with_several_objects_is_refused(team, target):
    indices = np.zeros((H, W), np.uint8)
    indices[0, 0], indices[1, 1] = 1, 2
    data = zip_bytes({"sav_val/Annotations_6fps/v/000/00000.png": indexed_png(indices)})
    _refused(
        team,
        target,
        ImportFormat.SAV_VAL,
        data,
        "holds 3 values; an SA-V mask is binary",
        name="s.zip",
    )


def test_import_api_answers_bad_files_in_the_error_shape(team):
    client = client_for(team.manager)
    nested = b'{"masklet": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    doc = _ytvis()
    doc["videos"][0].update(width=team.video.width, height=team.video.height)
    doc["annotations"][0]["segmentations"] = [None, None]
    doc["annotations"][0]["category_id"] = {"nested": [1]}
    for format, data, field in (
        ("sav", nested, None),
        ("ytvis", json.dumps(doc).encode(), "annotations[0].category_id"),
    ):
        response = client.post(
            f"/api/v1/videos/{team.video.pk}/imports/",
            {"format": format, "file": SimpleUploadedFile("in.json", data)},
            format="multipart",
        )
        assert response.status_code == 400, response.content[:300]
        body = response.json()
        assert set(body) == {"message", "extra"}
        assert body["extra"].get("field") == field
