"""Imports: round trips through our own exports, and broken files that import nothing."""

import io
import json
import zipfile

import numpy as np
import pytest

from backend.common import rle as rle_codec
from backend.exports.enums import ExportFormat, ImportFormat
from backend.exports.formats.archive import ZipLimits, read_entry
from backend.exports.formats.base import FormatError
from backend.exports.services import export_job_create, export_job_run, masklets_import
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects.models import Label
from tests.backend.exports.helpers import (
    SAV_DIR,
    add_masklet,
    box_mask,
    make_video,
    open_export,
    sav_sample,
    zip_bytes,
)

H, W, FRAMES = 24, 32, 6


@pytest.fixture
def source(team):
    video = make_video(team.project, name="src.mp4", frames=FRAMES, width=W, height=H)
    Label.objects.create(project=team.project, name="car")
    person = {i: box_mask(H, W, 2, 12, i, i + 10) for i in range(FRAMES)}
    car = {i: box_mask(H, W, 14, 22, 3, 9) for i in range(1, FRAMES)}
    add_masklet(video, person, label=team.label)
    add_masklet(video, car, label=Label.objects.get(name="car"))
    return video, [person, car]


@pytest.fixture
def target(team):
    return make_video(team.project, name="dst.mp4", frames=FRAMES, width=W, height=H)


def _export(team, video, format: str) -> zipfile.ZipFile:
    job = export_job_create(
        project=team.project, author=team.manager, format=format, video_ids=[video.pk]
    )
    return open_export(export_job_run(job_id=job.pk))


def _import(team, video, format: str, data: bytes, name: str, **kw) -> list[Masklet]:
    return masklets_import(
        video=video, actor=team.manager, format=format, file=io.BytesIO(data), file_name=name, **kw
    )


def _masks(masklet: Masklet) -> dict[int, np.ndarray]:
    return {
        f.frame_index: rle_codec.decode(f.rle)
        for f in MaskletFrame.objects.filter(masklet=masklet)
        if f.area
    }


def test_ytvis_export_imports_back_to_the_same_masks_and_labels(team, source, target):
    _, expected = source
    archive = _export(team, source[0], ExportFormat.YTVIS)

    masklets = _import(team, target, ImportFormat.YTVIS, archive.read("instances.json"), "i.json")

    assert [m.label.name for m in masklets] == ["person", "car"]
    for masklet, masks in zip(masklets, expected, strict=True):
        got = _masks(masklet)
        assert sorted(got) == sorted(masks)
        assert all(np.array_equal(got[i], masks[i]) for i in masks)
        assert set(masklet.frames.values_list("origin", flat=True)) == {"imported"}


@pytest.mark.parametrize(
    ("export", "import_as", "labels"),
    [
        (ExportFormat.YTVOS, ImportFormat.YTVOS, ["person", "car"]),
        (ExportFormat.DAVIS, ImportFormat.DAVIS, [None, None]),  # DAVIS 2017 has no labels
    ],
)
def test_palette_export_imports_back_to_the_same_masks(
    team, source, target, export, import_as, labels
):
    _, expected = source
    archive = _export(team, source[0], export)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:  # only the annotations and meta, as users send
        for name in archive.namelist():
            if "Annotations/" in name or name.endswith("meta.json"):
                out.writestr(name, archive.read(name))

    masklets = _import(team, target, import_as, buffer.getvalue(), "palette.zip")

    assert [m.label.name if m.label else None for m in masklets] == labels
    for masklet, masks in zip(masklets, expected, strict=True):
        got = _masks(masklet)
        assert sorted(got) == sorted(masks)
        assert all(np.array_equal(got[i], masks[i]) for i in masks)
    # The car appears on frame 1; frame 0 is not one of its annotated frames.
    assert not MaskletFrame.objects.filter(masklet=masklets[1], frame_index=0).exists()


# ---- broken input: a clear error, nothing imported --------------------------------------


def _assert_refused(team, video, format, data, name, match, **kw) -> FormatError:
    before = (Masklet.objects.count(), MaskletFrame.objects.count())
    with pytest.raises(FormatError, match=match) as info:
        _import(team, video, format, data, name, **kw)
    assert info.value.status == 400
    assert (Masklet.objects.count(), MaskletFrame.objects.count()) == before
    return info.value


@pytest.mark.parametrize("format", [ImportFormat.SAV, ImportFormat.YTVIS])
def test_malformed_json(team, target, format):
    _assert_refused(team, target, format, b'{"masklet": [', "broken.json", "not valid JSON")


@pytest.fixture
def sav_video(team):
    return make_video(team.project, name="sav_000001.mp4", frames=483, width=480, height=848)


def test_sav_rle_of_another_size(team, sav_video):
    doc = sav_sample("manual")
    doc["masklet"][7][2] = rle_codec.encode(np.ones((10, 10), np.uint8))
    error = _assert_refused(
        team, sav_video, ImportFormat.SAV, json.dumps(doc).encode(), "s.json", r"masklet\[7\]\[2\]"
    )
    assert "does not match the video" in error.message


def test_sav_onto_a_video_of_another_size(team, target):
    data = (SAV_DIR / "sav_000001_manual.json").read_bytes()
    _assert_refused(team, target, ImportFormat.SAV, data, "s.json", "video_height is 848")


def test_sav_row_with_the_wrong_number_of_objects(team, sav_video):
    doc = sav_sample("manual")
    doc["masklet"][3] = doc["masklet"][3][:4]
    data = json.dumps(doc).encode()
    _assert_refused(team, sav_video, ImportFormat.SAV, data, "s.json", r"masklet\[3\] must list 5")


def test_ytvis_unknown_labels(team, source, target):
    doc = json.loads(_export(team, source[0], ExportFormat.YTVIS).read("instances.json"))
    doc["categories"][0]["name"] = "dragon"
    error = _assert_refused(
        team, target, ImportFormat.YTVIS, json.dumps(doc).encode(), "i.json", "dragon"
    )
    assert error.extra == {"unknown_labels": ["dragon"]}


def test_ytvis_rle_of_another_size(team, source, target):
    doc = json.loads(_export(team, source[0], ExportFormat.YTVIS).read("instances.json"))
    doc["annotations"][1]["segmentations"][2] = rle_codec.encode(np.ones((H + 1, W), np.uint8))
    _assert_refused(
        team, target, ImportFormat.YTVIS, json.dumps(doc).encode(), "i.json", "does not match"
    )


def _png(indices: np.ndarray) -> bytes:
    from backend.exports.formats.images import indexed_png

    return indexed_png(indices)


def test_zip_path_traversal(team, target):
    data = zip_bytes(
        {"Annotations/v/00000.png": _png(np.zeros((H, W), np.uint8)), "../../etc/x.png": b"x"}
    )
    _assert_refused(team, target, ImportFormat.DAVIS, data, "d.zip", "path traversal")


def test_zip_entry_inflating_past_the_limit(team, target, monkeypatch):
    from backend.exports import services

    monkeypatch.setattr(services, "IMPORT_ZIP_LIMITS", ZipLimits(max_entry_bytes=64 * 1024))
    bomb = zip_bytes({"Annotations/v/00000.png": b"\0" * (1024 * 1024)})  # ~1 KiB compressed
    assert len(bomb) < 8 * 1024
    _assert_refused(team, target, ImportFormat.DAVIS, bomb, "d.zip", "inflates to 1048576 bytes")


def test_zip_entry_whose_header_lies_about_its_size_is_cut_off():
    data = zip_bytes({"a.png": b"\0" * 100_000})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (info,) = archive.infolist()
        info.file_size = 10  # a forged header: the stream holds far more
        with pytest.raises(FormatError):
            read_entry(archive, info, ZipLimits(max_entry_bytes=1000))


def test_davis_png_of_another_size_or_frame(team, target):
    wrong = zip_bytes({"v/00000.png": _png(np.ones((H, W + 2), np.uint8))})
    _assert_refused(team, target, ImportFormat.DAVIS, wrong, "d.zip", "the video is 32x24")
    # one good frame, one past the video's end: nothing of either is imported
    late = zip_bytes(
        {
            "v/00000.png": _png(np.ones((H, W), np.uint8)),
            "v/00009.png": _png(np.ones((H, W), np.uint8)),
        }
    )
    _assert_refused(team, target, ImportFormat.DAVIS, late, "d.zip", "frame 9 is outside")


def test_davis_rgb_png_and_not_a_zip(team, target):
    import cv2

    ok, rgb = cv2.imencode(".png", np.zeros((H, W, 3), np.uint8))
    assert ok
    data = zip_bytes({"v/00000.png": rgb.tobytes()})
    _assert_refused(team, target, ImportFormat.DAVIS, data, "d.zip", "indexed-palette or grayscale")
    _assert_refused(team, target, ImportFormat.DAVIS, b"PK-not-a-zip", "d.zip", "not a zip")


def test_several_videos_need_source_video(team, target):
    frame = _png(np.ones((H, W), np.uint8))
    data = zip_bytes({"Annotations/a/00000.png": frame, "Annotations/b/00001.png": frame})
    _assert_refused(team, target, ImportFormat.DAVIS, data, "d.zip", "several videos")

    (masklet,) = _import(team, target, ImportFormat.DAVIS, data, "d.zip", source_video="b")
    assert list(masklet.frames.values_list("frame_index", flat=True)) == [1]


def test_folders_are_matched_by_full_path(team, target):
    # given two videos named 000 in different splits, each on its own frame
    frame = _png(np.ones((H, W), np.uint8))
    data = zip_bytes(
        {"train/Annotations/000/00000.png": frame, "valid/Annotations/000/00003.png": frame}
    )

    # then the base name alone is refused, naming both paths
    error = _assert_refused(
        team,
        target,
        ImportFormat.YTVOS,
        data,
        "y.zip",
        "2 folders are named '000'",
        source_video="000",
    )
    assert error.extra == {"folders": ["train/Annotations/000", "valid/Annotations/000"]}
    _assert_refused(
        team,
        target,
        ImportFormat.YTVOS,
        data,
        "y.zip",
        "no video folder 'test/000'",
        source_video="test/000",
    )
    # and the full path takes exactly that folder
    (masklet,) = _import(
        team, target, ImportFormat.YTVOS, data, "y.zip", source_video="valid/Annotations/000"
    )
    assert list(masklet.frames.values_list("frame_index", flat=True)) == [3]
