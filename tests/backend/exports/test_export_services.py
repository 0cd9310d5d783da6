"""Every format, read back the way its users read it: pycocotools for RLE, Pillow and
OpenCV for PNGs, and the field's loaders' path and index rules (loaders.py here)."""

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from backend.exports.enums import ExportFormat
from backend.exports.formats.images import palette
from backend.exports.models import ExportJob
from backend.exports.services import export_job_create, export_job_run
from backend.jobs.enums import JobStatus
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.projects.models import Label
from tests.backend.exports.helpers import add_masklet, box_mask, make_video, open_export
from tests.backend.exports.loaders import (
    davis2017,
    davis2017_all_masks,
    extract,
    sam2_palette_video,
    sam2_sav_training,
    sav_ground_truth,
)

H, W, FRAMES = 24, 32, 8


def _decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})


@pytest.fixture
def scene(team):
    """Two accepted masklets that overlap on some frames, one draft, one of another label."""
    video = make_video(team.project, name="street scene.mp4", frames=FRAMES, width=W, height=H)
    car = Label.objects.create(project=team.project, name="car")
    person_masks = {i: box_mask(H, W, 2, 12, i, i + 10) for i in range(FRAMES)}
    car_masks = {i: box_mask(H, W, 8, 20, 12, 30) for i in range(0, FRAMES, 2)}
    car_masks[4] = np.zeros((H, W), np.uint8)  # annotated, not visible
    person = add_masklet(video, person_masks, label=team.label, origin=FrameOrigin.EDITED)
    vehicle = add_masklet(video, car_masks, label=car, source="auto")
    draft = add_masklet(video, {0: box_mask(H, W, 0, 4, 0, 4)}, status=MaskletStatus.DRAFT)
    return {
        "video": video,
        "person": (person, person_masks),
        "car": (vehicle, car_masks),
        "draft": draft,
        "car_label": car,
    }


def _run(team, **options) -> ExportJob:
    job = export_job_create(project=team.project, author=team.manager, **options)
    job = export_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.error
    assert job.progress == 1.0
    assert job.size_bytes > 0
    return job


def _mask_at(masks: dict[int, np.ndarray], frame: int) -> np.ndarray:
    return masks.get(frame, np.zeros((H, W), np.uint8))


def test_ytvis_rles_decode_to_the_stored_masks(team, scene):
    archive = open_export(_run(team, format=ExportFormat.YTVIS))
    doc = json.loads(archive.read("instances.json"))

    assert [v["name"] for v in doc["videos"]] == ["street_scene"]
    video = doc["videos"][0]
    assert video["length"] == FRAMES
    assert video["width"] == W
    assert video["height"] == H
    assert set(archive.namelist()) >= {f"JPEGImages/{name}" for name in video["file_names"]}
    categories = {c["id"]: c["name"] for c in doc["categories"]}
    assert sorted(categories.values()) == ["car", "person"]  # the draft is not exported
    assert len(doc["annotations"]) == 2
    for annotation, (_, masks) in zip(
        doc["annotations"], [scene["person"], scene["car"]], strict=True
    ):
        for frame, (segmentation, bbox, area) in enumerate(
            zip(annotation["segmentations"], annotation["bboxes"], annotation["areas"], strict=True)
        ):
            expected = _mask_at(masks, frame)
            if not expected.any():
                assert segmentation is bbox is area is None
                continue
            assert np.array_equal(_decode(segmentation), expected)
            coco = {"size": segmentation["size"], "counts": segmentation["counts"].encode()}
            assert area == int(mask_utils.area(coco)) == int(expected.sum())
            assert bbox == pytest.approx(list(mask_utils.toBbox(coco)))
    assert categories[doc["annotations"][1]["category_id"]] == "car"


def test_davis_2017_layout_read_by_the_davis_loader_lower_index_wins(team, scene, tmp_path):
    job = _run(team, format=ExportFormat.DAVIS)
    archive = open_export(job)
    _, person = scene["person"]
    _, car = scene["car"]

    # The DAVIS 2017 evaluation's own folder rules (DAVIS(root, subset="train")).
    (sequence,) = davis2017(extract(archive, tmp_path), "train").values()
    assert davis2017(tmp_path, "val") == {}  # val.txt is written, empty
    assert [Path(p).name for p in sequence.images] == [f"{i:05d}.jpg" for i in range(FRAMES)]
    masks, names = davis2017_all_masks(sequence)
    assert names == [f"{i:05d}" for i in range(FRAMES)]
    assert masks.shape == (2, FRAMES, H, W)  # two objects on the first frame
    for frame in range(FRAMES):
        data = archive.read(f"Annotations/480p/street_scene/{frame:05d}.png")
        image = Image.open(io.BytesIO(data))
        assert image.mode == "P"
        assert image.getpalette()[:9] == palette()[:9] == [0, 0, 0, 128, 0, 0, 0, 128, 0]
        with_cv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        # OpenCV expands the palette to colours; object 1 is (128, 0, 0) RGB.
        assert np.array_equal(np.all(with_cv == [0, 0, 128], axis=-1), masks[0, frame])
        # Object 1 (older masklet) keeps every pixel of its own mask, overlaps included.
        assert np.array_equal(masks[0, frame], _mask_at(person, frame).astype(bool))
        assert np.array_equal(
            masks[1, frame],
            _mask_at(car, frame).astype(bool) & ~_mask_at(person, frame).astype(bool),
        )
    assert "meta.json" not in archive.namelist()
    # The car loses its corner to the person on frame 6 only, has no mask on odd frames,
    # and the 24-pixel frames keep their size: all reported, in the result and warnings.txt.
    warnings = {w["kind"]: w for w in job.result["warnings"]}
    assert set(warnings) == {"partly_hidden", "not_annotated", "size"}
    assert warnings["not_annotated"]["frames"] == [1, 3, 5, 7]
    assert warnings["partly_hidden"]["frames"] == [6]
    assert warnings["partly_hidden"]["masklet"] == scene["car"][0].pk
    assert warnings["partly_hidden"]["covered_by"] == [scene["person"][0].pk]
    text = archive.read("warnings.txt").decode()
    assert warnings["partly_hidden"]["message"] in text
    assert "keep their size" in text


def test_ytvos_meta_lists_the_frames_each_object_shows_in_the_png(team, scene, tmp_path):
    archive = open_export(_run(team, format=ExportFormat.YTVOS))
    _, person = scene["person"]
    _, car = scene["car"]
    root = extract(archive, tmp_path) / "train"

    meta = json.loads((root / "meta.json").read_text())
    objects = meta["videos"]["street_scene"]["objects"]
    assert objects["1"] == {"category": "person", "frames": [f"{i:05d}" for i in range(FRAMES)]}
    # Hidden on none, absent on 4 (annotated, not visible) and not annotated on odd frames.
    assert objects["2"] == {"category": "car", "frames": ["00000", "00002", "00006"]}
    # SAM 2's PNG loader: every JPEG has its PNG, objects are the PNG's values.
    loaded = sam2_palette_video(root / "JPEGImages", root / "Annotations", "street_scene")
    assert [frame for frame, _ in loaded] == list(range(FRAMES))
    for frame, objs in loaded:
        shows = [f"{frame:05d}" in objects[str(k)]["frames"] for k in (1, 2)]
        assert shows == [k in objs for k in (1, 2)]
        assert np.array_equal(objs[1], _mask_at(person, frame).astype(bool))


def test_sav_val_has_one_binary_png_per_object_and_annotated_frame(team, scene, tmp_path):
    # SA-V's clock whatever the job's step: 24 fps frames 0 and 4 of the 8 are annotated.
    archive = open_export(_run(team, format=ExportFormat.SAV_VAL, frame_step=3))
    _, person = scene["person"]
    _, car = scene["car"]
    root = extract(archive, tmp_path) / "sav_val"

    assert (root / "sav_val.txt").read_text() == "street_scene\n"
    truth = sav_ground_truth(root / "Annotations_6fps", "street_scene")
    assert sorted(truth) == ["000", "001"]
    for position, masks in enumerate([person, car]):
        frames = truth[f"{position:03d}"]
        assert sorted(frames) == ["00000.png", "00004.png"]
        for name, mask in frames.items():
            assert np.array_equal(mask, _mask_at(masks, int(name[:5])).astype(bool)), name
    jpegs = sorted((root / "JPEGImages_24fps" / "street_scene").iterdir())
    assert len(jpegs) == FRAMES  # every frame, not only the annotated ones


def test_sav_training_metadata_from_the_masks(team, scene, tmp_path):
    archive = open_export(_run(team, format=ExportFormat.SAV, frame_step=3))
    manual = json.loads(archive.read("sav_train/street_scene_manual.json"))
    auto = json.loads(archive.read("sav_train/street_scene_auto.json"))

    assert manual["masklet_num"] == 1
    assert auto["masklet_num"] == 1
    assert manual["video_frame_count"] == FRAMES
    assert manual["video_resolution"] == H * W
    assert manual["video_duration"] == FRAMES / 24.0
    assert "video_environment" not in manual  # unknown: omitted, as the README allows
    assert manual["video_split"] == "train"
    assert len(manual["masklet"]) == 2  # 24 fps frames 0 and 4, whatever the job's step
    assert manual["masklet_size_abs"] == [100.0]
    assert manual["masklet_size_rel"] == [100.0 / (H * W)]
    assert manual["masklet_size_bucket"] == ["small"]
    assert manual["masklet_frame_count"] == [2]
    assert manual["masklet_edited_frame_count"] == [2]  # origin edited on each
    assert manual["masklet_stability_score"] == [None]
    # The car is annotated but not visible on frame 4: one visibility change.
    assert auto["masklet_visibility_changes"] == [1]
    assert auto["masklet_first_appeared_frame"] == [0]
    assert auto["masklet_edited_frame_count"] == [0]
    assert auto["masklet_stability_score"] == [[0.5], [0.5]]
    assert auto["masklet_size_abs"] == [12 * 18]
    # SAM 2's loader reads both annotated frames, at frames 0 and 4.
    (video,) = sam2_sav_training(
        extract(archive, tmp_path) / "JPEGImages_24fps", tmp_path / "sav_train"
    )
    assert [frame for frame, _ in video.frames] == [0, 4]


def test_sav_training_writes_null_where_a_masklet_has_no_mask(team):
    # given a person annotated on frames 0-3 only, and a dog on every frame
    video = make_video(team.project, name="clip.mp4", frames=9, width=W, height=H)
    person = add_masklet(video, {i: box_mask(H, W, 2, 12, 2, 12) for i in range(4)})
    add_masklet(video, {i: box_mask(H, W, 14, 20, 2, 12) for i in range(9)})

    # when exported in the SA-V training layout
    job = _run(team, format=ExportFormat.SAV)
    doc = json.loads(open_export(job).read("sav_train/clip_manual.json"))

    # then frames 4 and 8 hold null for the person, never an empty mask, and it is reported
    assert [row[0] is None for row in doc["masklet"]] == [False, True, True]
    assert doc["masklet_frame_count"] == [1, 3]
    (warning,) = job.result["warnings"]
    assert warning["kind"] == "not_annotated"
    assert warning["masklet"] == person.pk
    assert warning["frames"] == [4, 8]


def test_filters_labels_drafts_and_frame_step(team, scene):
    job = _run(
        team,
        format=ExportFormat.YTVIS,
        include_unaccepted=True,
        label_ids=[scene["car_label"].pk],
        frame_step=3,
    )
    doc = json.loads(open_export(job).read("instances.json"))

    assert doc["videos"][0]["file_names"] == [f"street_scene/{i:05d}.jpg" for i in (0, 3, 6)]
    assert [c["name"] for c in doc["categories"]] == ["car"]
    (annotation,) = doc["annotations"]  # the unlabelled draft is filtered out by label
    assert [s is not None for s in annotation["segmentations"]] == [True, False, True]

    everything = _run(
        team, format=ExportFormat.YTVIS, include_unaccepted=True, video_ids=[scene["video"].pk]
    )
    doc = json.loads(open_export(everything).read("instances.json"))
    assert len(doc["annotations"]) == 3
    assert doc["categories"][-1]["name"] == "unlabeled"


def test_export_defaults_to_the_projects_frame_step(team, scene):
    team.project.frame_step = 4
    team.project.save()
    job = export_job_create(project=team.project, author=team.manager, format=ExportFormat.DAVIS)
    assert job.frame_step == 4


def test_missing_frame_fails_the_job_with_a_reason(team, scene):
    from django.core.files.storage import default_storage

    default_storage.delete(scene["video"].frame_path(3))
    job = export_job_create(project=team.project, author=team.manager, format=ExportFormat.YTVOS)
    job = export_job_run(job_id=job.pk)

    assert job.status == JobStatus.FAILED
    assert "Frame 3" in job.error
    assert job.file == ""


def test_labels_of_another_project_are_refused(team, scene):
    from backend.common.exceptions import ApplicationError
    from tests.backend.factories import LabelFactory

    foreign = LabelFactory()
    with pytest.raises(ApplicationError, match="not in this project"):
        export_job_create(
            project=team.project, author=team.manager, format="sav", label_ids=[foreign.pk]
        )


@pytest.mark.parametrize("format", list(ExportFormat.values))
def test_every_export_is_a_standard_zip(team, scene, tmp_path, format):
    import shutil
    import subprocess

    from django.core.files.storage import default_storage

    job = _run(team, format=format)
    path = tmp_path / "export.zip"
    with default_storage.open(job.file, "rb") as handle:
        path.write_bytes(handle.read())

    archive = open_export(job)
    assert archive.testzip() is None
    assert len(archive.namelist()) == len(set(archive.namelist()))
    assert path.stat().st_size == job.size_bytes
    unzip = shutil.which("unzip")
    if unzip:
        result = subprocess.run([unzip, "-tq", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_sav_training_writes_a_manual_file_for_every_video(team, tmp_path):
    # given a video with only an automatic masklet
    video = make_video(team.project, name="auto only.mp4", frames=5, width=W, height=H)
    add_masklet(video, {i: box_mask(H, W, 2, 9, 2, 9) for i in range(5)}, source="auto")

    archive = open_export(_run(team, format=ExportFormat.SAV))

    # then SAM 2's loader, which opens {video}_manual.json for each video, finds one
    manual = json.loads(archive.read("sav_train/auto_only_manual.json"))
    assert manual["masklet_num"] == 0
    assert manual["masklet"] == [[], []]
    assert json.loads(archive.read("sav_train/auto_only_auto.json"))["masklet_num"] == 1
    (loaded,) = sam2_sav_training(
        extract(archive, tmp_path) / "JPEGImages_24fps", tmp_path / "sav_train"
    )
    assert [frame for frame, _ in loaded.frames] == [0, 4]
