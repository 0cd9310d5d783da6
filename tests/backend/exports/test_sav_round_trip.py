"""The real SA-V sample, imported onto a video of its size and exported again."""

import io
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from backend.exports.enums import ExportFormat, ImportFormat
from backend.exports.formats.sav import MASKLET_FIELDS, VIDEO_FIELDS
from backend.exports.models import ImportedMasklet
from backend.exports.services import export_job_create, masklets_import
from backend.jobs.enums import JobStatus
from backend.masklets.enums import FrameOrigin
from backend.masklets.models import Masklet, MaskletFrame
from tests.backend.exports.helpers import SAV_DIR, make_video, open_export, sav_sample

FLOAT_FIELDS = {"masklet_size_rel", "masklet_size_abs", "video_duration"}


def _decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode("ascii")})


@pytest.fixture
def sav_video(team):
    # sav_000001: 483 frames of 480 x 848 (width x height) at 24 fps.
    return make_video(team.project, name="sav_000001.mp4", frames=483, width=480, height=848)


def _import(video, user, kind: str) -> list[Masklet]:
    data = (SAV_DIR / f"sav_000001_{kind}.json").read_bytes()
    return masklets_import(
        video=video,
        actor=user,
        format=ImportFormat.SAV,
        file=io.BytesIO(data),
        file_name=f"sav_000001_{kind}.json",
    )


def test_import_creates_one_masklet_per_object_on_every_4th_frame(team, sav_video):
    masklets = _import(sav_video, team.manager, "manual")

    assert len(masklets) == 5
    frames = MaskletFrame.objects.filter(masklet__in=masklets)
    assert frames.count() == 5 * 121
    assert set(frames.values_list("frame_index", flat=True)) == set(range(0, 483, 4))
    assert set(frames.values_list("origin", flat=True)) == {FrameOrigin.IMPORTED}
    assert {m.source for m in Masklet.objects.filter(pk__in=[m.pk for m in masklets])} == {"manual"}
    assert ImportedMasklet.objects.filter(masklet__in=masklets).count() == 5


@pytest.mark.parametrize("kind", ["manual", "auto"])
def test_sav_export_gives_back_the_sample(
    team, sav_video, kind, django_capture_on_commit_callbacks
):
    # given the sample imported (draft masklets, hence include_unaccepted)
    _import(sav_video, team.manager, kind)
    sample = sav_sample(kind)

    # when exported in the SA-V training layout at SA-V's step
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(
            project=team.project,
            author=team.manager,
            format=ExportFormat.SAV,
            include_unaccepted=True,
            video_ids=[sav_video.pk],
            frame_step=4,
        )
    job.refresh_from_db()

    # then every defined field is equal and every mask decodes to the sample's
    assert job.status == JobStatus.DONE, job.error
    archive = open_export(job)
    names = set(archive.namelist())
    assert f"sav_train/sav_000001_{kind}.json" in names
    assert {f"JPEGImages_24fps/sav_000001/{i:05d}.jpg" for i in range(483)} <= names
    exported = json.loads(archive.read(f"sav_train/sav_000001_{kind}.json"))
    assert list(exported) == list(sample)  # same fields, same order
    for field in VIDEO_FIELDS + MASKLET_FIELDS:
        if field in FLOAT_FIELDS:  # the manual file rounds these to 10 decimals
            assert exported[field] == pytest.approx(sample[field], rel=1e-7), field
        else:
            assert exported[field] == sample[field], field
    assert len(exported["masklet"]) == len(sample["masklet"]) == 121
    for ours, theirs in zip(exported["masklet"], sample["masklet"], strict=True):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert a["size"] == b["size"] == [848, 480]
            assert np.array_equal(_decode(a), _decode(b))
