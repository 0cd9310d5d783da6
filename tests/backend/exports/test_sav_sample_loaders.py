"""The real SA-V sample (sav_000001: 483 frames of 480x848 at 24 fps, annotated every 4th
frame) imported, exported at the project's frame steps 1 and 4 in every layout, and read
back with the field's loading rules (tests/backend/exports/loaders.py)."""

import json
import zipfile

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from backend.exports.enums import ExportFormat, ImportFormat
from backend.exports.formats.images import compose_indices
from backend.exports.models import ExportJob
from backend.exports.services import export_job_create, export_job_run, masklets_import
from backend.jobs.enums import JobStatus
from backend.masklets.models import MaskletFrame
from tests.backend.exports.helpers import SAV_DIR, make_video, open_export, sav_sample
from tests.backend.exports.loaders import (
    davis2017,
    davis2017_object_masks,
    extract,
    sam2_file_list,
    sam2_palette_video,
    sam2_sav_training,
    sav_ground_truth,
)

FRAMES, WIDTH, HEIGHT = 483, 480, 848
ANNOTATED = list(range(0, FRAMES, 4))  # 121 frames


def _decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})


def _sample_video(team, kinds=("manual",)):
    video = make_video(
        team.project, name="sav_000001.mp4", frames=FRAMES, width=WIDTH, height=HEIGHT
    )
    for kind in kinds:
        masklets_import(
            video=video,
            actor=team.manager,
            format=ImportFormat.SAV,
            file=(SAV_DIR / f"sav_000001_{kind}.json").open("rb"),
            file_name=f"sav_000001_{kind}.json",
        )
    return video


def _export(team, video, format: str, step: int) -> ExportJob:
    # the project's frame step is what an export uses unless the job names one
    team.project.frame_step = step
    team.project.save()
    job = export_job_create(
        project=team.project,
        author=team.manager,
        format=format,
        include_unaccepted=True,
        video_ids=[video.pk],
    )
    assert job.frame_step == step
    job = export_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.error
    return job


@pytest.mark.parametrize("step", [1, 4])
def test_sav_training_export_is_read_by_sam2s_loader_at_the_samples_frames(team, step, tmp_path):
    video = _sample_video(team, kinds=("manual", "auto"))
    job = _export(team, video, ExportFormat.SAV, step)
    archive = open_export(job)
    root = extract(archive, tmp_path)

    # SAM 2's JSONRawDataset(img_folder=JPEGImages_24fps, gt_folder=sav_train, ann_every=4)
    (loaded,) = sam2_sav_training(root / "JPEGImages_24fps", root / "sav_train", ann_every=4)
    assert loaded.name == "sav_000001"
    assert len(list((root / "JPEGImages_24fps" / "sav_000001").iterdir())) == FRAMES
    assert [frame for frame, _ in loaded.frames] == ANNOTATED
    manual = sav_sample("manual")
    for frame, _ in loaded.frames[::10]:
        masks = loaded.load(frame)
        assert sorted(masks) == list(range(5))
        for j in range(5):
            assert np.array_equal(masks[j], _decode(manual["masklet"][frame // 4][j])), frame
    # every field as the sample has it, masks as RLE strings, manual and auto alike
    for kind in ("manual", "auto"):
        exported = json.loads((root / "sav_train" / f"sav_000001_{kind}.json").read_text())
        sample = sav_sample(kind)
        assert list(exported) == list(sample)
        assert exported["masklet"] == sample["masklet"]
        assert exported["masklet_stability_score"] == sample["masklet_stability_score"]
        for field in ("masklet_frame_count", "masklet_first_appeared_frame", "masklet_type"):
            assert exported[field] == sample[field], field
    assert (job.result["warnings"], job.result["warning_count"]) == ([], 0)
    assert "warnings.txt" not in archive.namelist()


@pytest.mark.parametrize("step", [1, 4])
def test_sav_val_export_is_read_by_the_sav_evaluator(team, step, tmp_path):
    video = _sample_video(team)
    root = extract(open_export(_export(team, video, ExportFormat.SAV_VAL, step)), tmp_path)
    manual = sav_sample("manual")

    assert sam2_file_list(root / "sav_val" / "sav_val.txt") == ["sav_000001"]
    truth = sav_ground_truth(root / "sav_val" / "Annotations_6fps", "sav_000001")
    assert sorted(truth) == ["000", "001", "002", "003", "004"]
    for j, obj in enumerate(sorted(truth)):
        frames = truth[obj]
        assert sorted(frames) == [f"{k:05d}.png" for k in ANNOTATED]
        for name in sorted(frames)[::10]:
            expected = _decode(manual["masklet"][int(name[:5]) // 4][j]).astype(bool)
            assert np.array_equal(frames[name], expected), (obj, name)


@pytest.mark.parametrize("step", [1, 4])
def test_davis_and_ytvos_exports_are_read_by_their_loaders(team, step, tmp_path):
    # given the sample's five manual masklets
    video = _sample_video(team)
    manual = sav_sample("manual")

    # when exported in both palette layouts
    davis = _export(team, video, ExportFormat.DAVIS, step)
    ytvos = _export(team, video, ExportFormat.YTVOS, step)
    davis_root = extract(open_export(davis), tmp_path / "davis")
    ytvos_root = extract(open_export(ytvos), tmp_path / "ytvos") / "train"

    # then the DAVIS 2017 evaluation finds the annotated frames, a PNG for each JPEG
    (sequence,) = davis2017(davis_root, "train").values()
    assert len(sequence.images) == len(sequence.masks) == len(ANNOTATED)
    meta = json.loads((ytvos_root / "meta.json").read_text())["videos"]["sav_000001"]
    palette = sam2_palette_video(
        ytvos_root / "JPEGImages", ytvos_root / "Annotations", "sav_000001"
    )
    assert [frame for frame, _ in palette] == ANNOTATED
    shown: dict[int, list[str]] = {k: [] for k in range(1, 6)}
    hidden: dict[int, list[int]] = {k: [] for k in range(1, 6)}
    counted = None
    for (name, davis_masks), (frame, ytvos_masks) in zip(
        davis2017_object_masks(sequence), palette, strict=True
    ):
        # each pixel shows the lowest-index (oldest) object whose mask has it
        rles = [manual["masklet"][frame // 4][j] for j in range(5)]
        expected = compose_indices(rles, HEIGHT, WIDTH)
        assert name == f"{frame:05d}"
        if counted is None:  # DAVIS counts the objects in the first frame's PNG
            counted = int(expected.max())
        assert davis_masks.shape[0] == counted
        for k in range(1, 6):
            if k <= counted:
                assert np.array_equal(davis_masks[k - 1], expected == k), (frame, k)
            assert np.array_equal(ytvos_masks.get(k, np.zeros_like(expected, bool)), expected == k)
            if (expected == k).any():
                shown[k].append(name)
            elif _decode(rles[k - 1]).any():
                hidden[k].append(frame)
    # YouTube-VOS's meta.json lists exactly the frames where each object is in the PNG
    assert {int(k): v["frames"] for k, v in meta["objects"].items()} == shown
    # and every frame an object is hidden on is reported, in the result and warnings.txt
    ids = sorted(video.masklets.values_list("pk", flat=True))
    for job in (davis, ytvos):
        reported = {
            w["masklet"]: w["frames"] for w in job.result["warnings"] if w["kind"] == "hidden"
        }
        assert reported == {ids[k - 1]: frames for k, frames in hidden.items() if frames}
        skipped = [w for w in job.result["warnings"] if w["kind"] == "not_annotated"]
        if step == 1:  # frames 1, 2, 3, 5, ... were never annotated: no PNG, no JPEG
            (warning,) = skipped
            assert warning["frame_count"] == FRAMES - len(ANNOTATED)
            assert warning["frames"][:4] == [1, 2, 3, 5]
        else:
            assert skipped == []
    # the objects DAVIS's evaluation does not count (not in the first PNG) are reported
    uncounted = [w["masklet"] for w in davis.result["warnings"] if w["kind"] == "uncounted"]
    assert counted < 5  # the sample's objects 4 and 5 are not in the first frame's PNG
    assert uncounted == ids[counted:]


def test_sav_exports_import_back_with_identical_masks(team, tmp_path):
    # given the sample exported in both SA-V layouts
    video = _sample_video(team, kinds=("manual", "auto"))
    training = open_export(_export(team, video, ExportFormat.SAV, 1))
    val = open_export(_export(team, video, ExportFormat.SAV_VAL, 1))
    manual, auto = sav_sample("manual"), sav_sample("auto")

    # when each is imported onto a fresh video of the sample's size
    fresh = make_video(team.project, name="fresh.mp4", frames=FRAMES, width=WIDTH, height=HEIGHT)
    from_json = []
    for kind in ("manual", "auto"):
        from_json += masklets_import(
            video=fresh,
            actor=team.manager,
            format=ImportFormat.SAV,
            file=training.open(f"sav_train/sav_000001_{kind}.json"),
            file_name=f"sav_000001_{kind}.json",
        )
    other = make_video(team.project, name="other.mp4", frames=FRAMES, width=WIDTH, height=HEIGHT)
    members = [n for n in val.namelist() if "/Annotations_6fps/" in n]
    with zipfile.ZipFile(tmp_path / "val.zip", "w") as out:
        for name in members:
            out.writestr(name, val.read(name))
    from_val = masklets_import(
        video=other,
        actor=team.manager,
        format=ImportFormat.SAV_VAL,
        file=(tmp_path / "val.zip").open("rb"),
        file_name="val.zip",
    )

    # then every RLE string is the sample's, auto masklets stay auto with their scores
    samples = [(manual, j) for j in range(5)] + [(auto, j) for j in range(9)]
    assert [m.source for m in from_json] == ["manual"] * 5 + ["auto"] * 9
    assert len(from_val) == 14
    for masklet, masklet_val, (sample, j) in zip(from_json, from_val, samples, strict=True):
        rows = list(MaskletFrame.objects.filter(masklet=masklet).order_by("frame_index"))
        assert [r.frame_index for r in rows] == ANNOTATED
        assert [r.rle["counts"] for r in rows] == [f[j]["counts"] for f in sample["masklet"]]
        if masklet.source == "auto":
            assert [r.score for r in rows] == [s[j] for s in sample["masklet_stability_score"]]
        else:
            assert {r.score for r in rows} == {None}
        val_rows = list(MaskletFrame.objects.filter(masklet=masklet_val).order_by("frame_index"))
        assert [r.frame_index for r in val_rows] == ANNOTATED
        assert [r.rle["counts"] for r in val_rows[::20]] == [r.rle["counts"] for r in rows[::20]]
    fresh.refresh_from_db()
    assert (fresh.environment, fresh.split) == ("Indoor", "train")
