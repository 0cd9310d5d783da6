"""SA-V is 24 fps annotated every 4th frame: clips of other rates are resampled to 24 fps on
export (and back on import), and the export says so."""

import io
import json

import numpy as np
import pytest
from django.core.files.storage import default_storage

from backend.common import rle as rle_codec
from backend.exports.enums import ExportFormat, ImportFormat
from backend.exports.formats.sav import timeline_24fps
from backend.exports.services import export_job_create, export_job_run, masklets_import
from backend.jobs.enums import JobStatus
from backend.masklets.models import MaskletFrame
from tests.backend.exports.helpers import add_masklet, box_mask, make_video, open_export
from tests.backend.exports.loaders import extract, sam2_sav_training

H, W = 24, 32


@pytest.mark.parametrize(
    ("frames", "fps", "expected"),
    [
        (6, 24.0, [0, 1, 2, 3, 4, 5]),
        (6, 24000 / 1001, [0, 1, 2, 3, 4, 5]),  # 23.976: frame for frame
        (10, 30.0, [0, 1, 3, 4, 5, 6, 8, 9]),  # round-half-up(k * 1.25)
        (4, 12.0, [0, 1, 1, 2, 2, 3, 3]),  # each frame shown twice (k / 2, halves up)
        (5, 25.0, [0, 1, 2, 3, 4]),
    ],
)
def test_timeline_24fps_shows_the_nearest_frame(frames, fps, expected):
    assert list(timeline_24fps(frames, fps)) == expected


def _moving_box(frame: int) -> np.ndarray:
    return box_mask(H, W, 2, 10, frame, frame + 6)


def _export(team, video, format: str):
    job = export_job_create(
        project=team.project, author=team.manager, format=format, video_ids=[video.pk]
    )
    job = export_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.error
    return job


def test_a_30fps_clip_is_resampled_to_24fps_and_imports_back(team, tmp_path):
    # given a 30 fps clip of 20 frames (each its own JPEG) and a box moving one pixel a frame
    video = make_video(
        team.project, name="clip30.mp4", frames=20, width=W, height=H, fps=30.0, distinct=True
    )
    add_masklet(video, {i: _moving_box(i) for i in range(20)})
    timeline = timeline_24fps(20, 30.0)  # 16 frames at 24 fps
    assert len(timeline) == 16

    # when exported in the SA-V training layout
    job = _export(team, video, ExportFormat.SAV)
    archive = open_export(job)
    doc = json.loads(archive.read("sav_train/clip30_manual.json"))

    # then the 24 fps frames are the nearest video frames, and masklet[j] is the mask of
    # 24 fps frame 4j, i.e. of video frame timeline[4j]
    for k, frame in enumerate(timeline):
        with default_storage.open(video.frame_path(frame), "rb") as handle:
            assert archive.read(f"JPEGImages_24fps/clip30/{k:05d}.jpg") == handle.read()
    assert doc["video_frame_count"] == 16
    assert doc["video_duration"] == 16 / 24
    (loaded,) = sam2_sav_training(
        extract(archive, tmp_path) / "JPEGImages_24fps", tmp_path / "sav_train", ann_every=4
    )
    assert [f for f, _ in loaded.frames] == [0, 4, 8, 12]
    for frame, _ in loaded.frames:
        assert np.array_equal(loaded.load(frame)[0], _moving_box(timeline[frame]))
    (warning,) = job.result["warnings"]
    assert warning["kind"] == "resampled"
    assert "30 fps" in warning["message"]
    assert "resampled to 16" in warning["message"]
    assert warning["message"] in archive.read("warnings.txt").decode()

    # and imported onto a 30 fps video, the masks land on the frames they came from
    target = make_video(team.project, name="again.mp4", frames=20, width=W, height=H, fps=30.0)
    data = archive.read("sav_train/clip30_manual.json")
    (masklet,) = masklets_import(
        video=target,
        actor=team.manager,
        format=ImportFormat.SAV,
        file=io.BytesIO(data),
        file_name="c.json",
    )
    rows = MaskletFrame.objects.filter(masklet=masklet).order_by("frame_index")
    assert [r.frame_index for r in rows] == [0, 5, 10, 15]
    for row in rows:
        assert np.array_equal(rle_codec.decode(row.rle), _moving_box(row.frame_index))


def test_sav_val_of_a_30fps_clip_names_png_by_24fps_frame(team):
    video = make_video(team.project, name="clip30.mp4", frames=20, width=W, height=H, fps=30.0)
    add_masklet(video, {i: _moving_box(i) for i in range(20)})

    archive = open_export(_export(team, video, ExportFormat.SAV_VAL))

    pngs = sorted(n for n in archive.namelist() if "/Annotations_6fps/" in n)
    assert pngs == [f"sav_val/Annotations_6fps/clip30/000/{k:05d}.png" for k in (0, 4, 8, 12)]
    assert len([n for n in archive.namelist() if "JPEGImages_24fps" in n]) == 16


def test_a_23976fps_clip_is_taken_frame_for_frame_and_said_so(team):
    video = make_video(team.project, name="film.mp4", frames=9, width=W, height=H, fps=24000 / 1001)
    add_masklet(video, {i: _moving_box(i) for i in range(9)})

    job = _export(team, video, ExportFormat.SAV)
    doc = json.loads(open_export(job).read("sav_train/film_manual.json"))

    assert doc["video_frame_count"] == 9
    assert len(doc["masklet"]) == 3  # frames 0, 4, 8
    (warning,) = job.result["warnings"]
    assert "23.976 fps, taken as SA-V's 24 fps frame for frame" in warning["message"]


def test_a_clip_under_6fps_repeats_frames_and_imports_each_once(team):
    # given a 3 fps clip: SA-V's 6 fps annotated frames show each video frame twice or so
    video = make_video(team.project, name="slow.mp4", frames=3, width=W, height=H, fps=3.0)
    add_masklet(video, {i: _moving_box(i) for i in range(3)})

    job = _export(team, video, ExportFormat.SAV)
    data = open_export(job).read("sav_train/slow_manual.json")
    doc = json.loads(data)

    # then masklet[j] is the mask of the frame 24 fps frame 4j shows: 0, 1, 1, 2, 2
    assert doc["video_frame_count"] == 20
    decoded = [rle_codec.decode(row[0]) for row in doc["masklet"]]
    for mask, frame in zip(decoded, [0, 1, 1, 2, 2], strict=True):
        assert np.array_equal(mask, _moving_box(frame))
    # and the import keeps one mask per video frame
    target = make_video(team.project, name="slow2.mp4", frames=3, width=W, height=H, fps=3.0)
    (masklet,) = masklets_import(
        video=target,
        actor=team.manager,
        format=ImportFormat.SAV,
        file=io.BytesIO(data),
        file_name="s.json",
    )
    assert list(masklet.frames.order_by("frame_index").values_list("frame_index", flat=True)) == [
        0,
        1,
        2,
    ]
