"""Palette PNGs hold one object per pixel: what overlaps cost is reported, never silent.
And each video's split and environment decide where and how it is exported."""

import json

import pytest

from backend.exports.enums import ExportFormat
from backend.exports.services import export_job_create, export_job_run
from backend.jobs.enums import JobStatus
from backend.videos.services import video_update
from tests.backend.exports.helpers import add_masklet, box_mask, make_video, open_export

H, W, FRAMES = 24, 32, 6


def _run(team, format: str, **options):
    job = export_job_create(project=team.project, author=team.manager, format=format, **options)
    job = export_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.error
    return job


@pytest.fixture
def nested(team):
    """A person (oldest), a bag held inside the person's box on every frame, and a dog that
    walks under the person's box on frames 2 and 3."""
    video = make_video(team.project, name="nested.mp4", frames=FRAMES, width=W, height=H)
    person = add_masklet(video, {i: box_mask(H, W, 0, 20, 0, 16) for i in range(FRAMES)})
    bag = add_masklet(video, {i: box_mask(H, W, 4, 8, 4, 8) for i in range(FRAMES)})
    dog = {i: box_mask(H, W, 10, 14, 20, 30) for i in range(FRAMES)}
    dog[2] = dog[3] = box_mask(H, W, 10, 14, 12, 22)  # 16 of its 40 pixels under the person
    add_masklet(video, dog)
    return person, bag, video.masklets.order_by("id").last()


@pytest.mark.parametrize("format", [ExportFormat.YTVOS, ExportFormat.DAVIS])
def test_hidden_and_cut_objects_are_reported(team, nested, format):
    person, bag, dog = nested

    job = _run(team, format)
    archive = open_export(job)

    warnings = {(w["kind"], w.get("masklet")): w for w in job.result["warnings"]}
    hidden = warnings[("hidden", bag.pk)]
    assert hidden["frames"] == list(range(FRAMES))
    assert hidden["frame_count"] == FRAMES
    assert hidden["covered_by"] == [person.pk]
    cut = warnings[("partly_hidden", dog.pk)]
    assert cut["frames"] == [2, 3]
    assert cut["covered_by"] == [person.pk]
    assert "up to 40% of its mask (frame 2)" in cut["message"]
    assert ("left_out", bag.pk) not in warnings  # hidden says it all
    assert job.result["warning_count"] == len(job.result["warnings"])
    text = archive.read("warnings.txt").decode()
    assert hidden["message"] in text
    assert cut["message"] in text
    if format == ExportFormat.YTVOS:
        meta = json.loads(archive.read("train/meta.json"))
        objects = meta["videos"]["nested"]["objects"]
        assert sorted(objects) == ["1", "3"]  # the bag shows on no frame of any PNG
        assert objects["3"]["frames"] == [f"{i:05d}" for i in range(FRAMES)]


def test_splits_place_videos_in_each_layout(team):
    # given three videos: unassigned, val (outdoor) and test
    videos = {}
    for name, split in (("a", ""), ("b", "val"), ("c", "test")):
        video = make_video(team.project, name=f"{name}.mp4", frames=4, width=W, height=H)
        add_masklet(video, {i: box_mask(H, W, 2, 9, 2, 9) for i in range(4)})
        video_update(video=video, actor=team.manager, data={"split": split})
        videos[name] = video
    video_update(video=videos["b"], actor=team.manager, data={"environment": "Outdoor"})

    # when exported in every layout that has splits
    davis = open_export(_run(team, ExportFormat.DAVIS))
    ytvos = open_export(_run(team, ExportFormat.YTVOS))
    sav_val = open_export(_run(team, ExportFormat.SAV_VAL))
    sav = open_export(_run(team, ExportFormat.SAV))

    # then each video is listed in its split, and SA-V fields follow the attributes
    assert davis.read("ImageSets/2017/train.txt") == b"a\n"
    assert davis.read("ImageSets/2017/val.txt") == b"b\n"
    assert davis.read("ImageSets/2017/test-dev.txt") == b"c\n"
    for folder, key in (("train", "a"), ("valid", "b"), ("test", "c")):
        assert list(json.loads(ytvos.read(f"{folder}/meta.json"))["videos"]) == [key]
        assert f"{folder}/JPEGImages/{key}/00000.jpg" in ytvos.namelist()
    assert sav_val.read("sav_val/sav_val.txt") == b"a\nb\n"
    assert sav_val.read("sav_test/sav_test.txt") == b"c\n"
    assert "sav_test/Annotations_6fps/c/000/00000.png" in sav_val.namelist()
    docs = {k: json.loads(sav.read(f"sav_train/{k}_manual.json")) for k in "abc"}
    assert [docs[k]["video_split"] for k in "abc"] == ["train", "val", "test"]
    assert docs["b"]["video_environment"] == "Outdoor"
    assert "video_environment" not in docs["a"]


def test_a_video_without_masks_on_the_exported_frames_is_left_out(team):
    video = make_video(team.project, name="odd.mp4", frames=4, width=W, height=H)
    add_masklet(video, {1: box_mask(H, W, 2, 9, 2, 9), 3: box_mask(H, W, 2, 9, 2, 9)})

    job = _run(team, ExportFormat.DAVIS, frame_step=2)
    archive = open_export(job)

    assert archive.read("ImageSets/2017/train.txt") == b""  # the loader refuses empty folders
    assert not any(n.startswith("JPEGImages/") for n in archive.namelist())
    kinds = [w["kind"] for w in job.result["warnings"]]
    assert kinds == ["not_annotated", "left_out", "left_out"]  # frames, object, video
