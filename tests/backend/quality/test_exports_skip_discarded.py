"""Exports never ship a masklet that consensus resolution discarded."""

import json

from backend.exports.enums import ExportFormat
from backend.exports.selectors import JobExportSource
from backend.exports.services import export_job_create, export_job_run
from backend.jobs.enums import JobStatus
from backend.masklets.enums import MaskletStatus
from tests.backend.exports.helpers import add_masklet, box_mask, make_video, open_export


def test_export_skips_consensus_discarded_masklets(team):
    video = make_video(team.project, frames=2)
    mask = box_mask(video.height, video.width, 2, 10, 2, 12)
    kept = add_masklet(video, {0: mask, 1: mask}, status=MaskletStatus.ACCEPTED)
    dropped = add_masklet(video, {0: mask}, status=MaskletStatus.ACCEPTED)
    dropped.consensus_discarded = True
    dropped.save()

    job = export_job_create(project=team.project, author=team.manager, format=ExportFormat.YTVIS)
    source = JobExportSource(job)
    (export_video,) = list(source.videos())
    assert [m.id for m in source.masklets(export_video)] == [kept.pk]

    job = export_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE, job.error
    doc = json.loads(open_export(job).read("instances.json"))
    assert len(doc["annotations"]) == 1


def test_a_video_with_only_discarded_masklets_is_not_exported(team):
    video = make_video(team.project, frames=1)
    mask = box_mask(video.height, video.width, 2, 10, 2, 12)
    dropped = add_masklet(video, {0: mask}, status=MaskletStatus.ACCEPTED)
    dropped.consensus_discarded = True
    dropped.save()

    job = export_job_create(project=team.project, author=team.manager, format=ExportFormat.YTVIS)
    assert JobExportSource(job).video_count() == 0
