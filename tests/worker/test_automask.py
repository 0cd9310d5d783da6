"""Auto-annotation on the micro model and a real clip (Celery eager, one process): the job
generates masks on its key frames, skips one an existing masklet covers, turns the others
into auto masklets whose SAM 2 input is a MASK entry in the video's log, propagates them
through the video in batches on the video's one SAM 2 state, and submits them for
verification; a reviewer's verdicts accept one and turn another into a manual task; cancel
and a worker lost mid-job behave as the job life cycle promises."""

import datetime
import json

import numpy as np
import pytest
from django.utils import timezone

from backend.automask.models import AutoKeyFrame, AutoMaskJob, AutoProposal
from backend.common import rle
from backend.jobs.enums import JobStatus
from backend.jobs.models import Job
from backend.jobs.recovery import jobs_recover
from backend.masklets.enums import ActionKind, FrameOrigin, MaskletSource, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame, SessionAction
from backend.projects.models import Task
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory
from tests.worker import reference
from tests.worker.test_loop_exact import make_clip_video
from worker import engine, states
from worker.tasks import automask as automask_task

FRAMES = 10
# Settings under which the micro model's random weights give many distinct masks on the
# clip (box NMS off, so that the job's own de-duplication has work to do).
SETTINGS = {
    "points_per_side": 8,
    "mask_threshold": 3.0,
    "stability_score_offset": 0.25,
    "pred_iou_thresh": 0.3,
    "stability_score_thresh": 0.3,
    "box_nms_thresh": 1.0,
}


def _start(client, video, **body):  # type: ignore[no-untyped-def]
    payload = {
        "key_frame_mode": "listed",
        "frames": [0, 6],
        "settings": SETTINGS,
        "max_masklets": 4,
        "dedup_iou": 0.5,
        "objects_per_batch": 2,
        **body,
    }
    response = client.post(f"/api/v1/videos/{video.pk}/automask/create/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _first_generated_mask(video) -> dict:  # type: ignore[no-untyped-def]
    """What the generator gives first on frame 0 with SETTINGS (the job's best candidate)."""
    from sam2engine import AutomaticMaskGenerator, AutomaticMaskSettings
    from worker.adapters import StorageFrames

    with engine.in_use:
        predictor = engine.get_predictor()
        generator = AutomaticMaskGenerator(
            predictor.model, AutomaticMaskSettings(**SETTINGS), precision=predictor.precision
        )
        masks = generator.generate(StorageFrames(video)[0])
    assert masks, "the generator found nothing on the clip"
    return dict(rle.encode(masks[0].mask()))


def _check_exact(video) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.in_use:
        return reference.compare(engine.get_predictor(), video)


@pytest.fixture
def clip(team: Team):  # type: ignore[no-untyped-def]
    states.drop_all()
    return make_clip_video(team, frames=FRAMES)


def test_auto_masklets_are_deduplicated_propagated_queued_and_reviewed(
    team: Team, clip, django_capture_on_commit_callbacks
):
    video = clip
    # given: an existing masklet whose mask on frame 0 is the generator's best mask there
    covered = _first_generated_mask(video)
    existing = MaskletFactory(video=video, task=None, created_by=team.manager)
    MaskletFrame.objects.create(
        masklet=existing,
        frame_index=0,
        rle=covered,
        area=rle.area(covered),
        bbox=rle.bbox(covered),
        origin=FrameOrigin.EDITED,
    )
    client = client_for(team.manager)

    # when: a manager auto-annotates the clip from frames 0 and 6
    with django_capture_on_commit_callbacks(execute=True):
        created = _start(client, video)

    # then: the job is done and its status is on the jobs API too
    job = AutoMaskJob.objects.get(pk=created["id"])
    assert job.status == JobStatus.DONE, job.error
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["kind"] == "automask"
    detail = client.get(f"/api/v1/automask/{job.pk}/").json()
    assert detail["progress_done"] == detail["progress_total"] > 0
    proposals = list(AutoProposal.objects.filter(job=job).select_related("masklet"))
    assert 1 <= len(proposals) <= 4
    assert detail["counts"]["proposed"] == len(proposals)
    frames = {f.frame_index: f for f in AutoKeyFrame.objects.filter(job=job)}
    # key frame 6 is generated unless frame 0 already reached the cap
    assert set(frames) == {0, 6} or (set(frames) == {0} and len(proposals) == 4)
    assert job.result["skipped_at_cap"] == [f for f in (0, 6) if f not in frames]
    # the covered mask was skipped; no auto masklet repeats the existing one on frame 0
    assert frames[0].duplicates >= 1
    for proposal in proposals:
        masklet = proposal.masklet
        assert masklet.source == MaskletSource.AUTO
        # its SAM 2 input is its mask as a MASK entry on its key frame
        entry = SessionAction.objects.get(video=video, object_id=masklet.pk, kind=ActionKind.MASK)
        assert entry.frame_index == proposal.key_frame
        if proposal.key_frame == 0:
            assert rle.iou_matrix([entry.payload["rle"]], [covered])[0, 0] <= 0.5
        # propagated through the whole video, and in the verification queue
        stored = MaskletFrame.objects.filter(masklet=masklet)
        assert stored.count() == FRAMES
        assert masklet.status == MaskletStatus.SUBMITTED
        assert proposal.submitted_at is not None
        # the generator's scores are kept; the key frame carries its stability score
        assert 0.3 <= proposal.stability_score <= 1.0
        assert proposal.predicted_iou > 0.3
        assert stored.get(frame_index=proposal.key_frame).score == pytest.approx(
            proposal.stability_score
        )
        assert all(0.0 <= f.score <= 1.0 for f in stored)
    # proposals of one frame do not repeat each other either
    by_frame: dict[int, list[dict]] = {}
    for p in proposals:
        entry = SessionAction.objects.get(object_id=p.masklet_id, kind=ActionKind.MASK)
        by_frame.setdefault(p.key_frame, []).append(entry.payload["rle"])
    for masks in by_frame.values():
        ious = rle.iou_matrix(masks, masks)
        assert (ious[~np.eye(len(masks), dtype=bool)] <= 0.5).all()
    # propagated in object batches on the video's one SAM 2 state: every stored mask is
    # what one uninterrupted session fed the video's log gives
    runs = SessionAction.objects.filter(video=video, kind=ActionKind.PROPAGATE)
    assert all(len(r.object_ids) <= 2 for r in runs)
    assert _check_exact(video)["frames"] == FRAMES * len(proposals)

    # when: a reviewer verifies two of them from the queue
    reviewer = client_for(team.reviewer)
    verdicts = {}
    for verdict in ("satisfactory", "unsatisfactory"):
        assignment = reviewer.post(f"/api/v1/projects/{team.project.pk}/review-queue/next/")
        assert assignment.status_code == 200, assignment.content
        masklet_id = assignment.json()["masklet"]["id"]
        assert masklet_id in {p.masklet_id for p in proposals}
        answer = reviewer.post(
            f"/api/v1/review-assignments/{assignment.json()['id']}/verdict/",
            {"verdict": verdict, "comment": "misses the wheel"},
            format="json",
        )
        assert answer.status_code == 200, answer.content
        verdicts[verdict] = masklet_id

    # then: the satisfactory one is accepted as it is
    accepted = Masklet.objects.get(pk=verdicts["satisfactory"])
    assert accepted.status == MaskletStatus.ACCEPTED
    assert accepted.source == MaskletSource.AUTO
    # and the unsatisfactory one is a manual masklet in a new task, prompts and frames kept
    rejected = Masklet.objects.get(pk=verdicts["unsatisfactory"])
    assert rejected.status == MaskletStatus.REJECTED
    assert rejected.source == MaskletSource.MANUAL
    task = Task.objects.get(pk=rejected.task_id)
    assert task.video_id == video.pk
    assert task.assignee_id is None
    assert MaskletFrame.objects.filter(masklet=rejected).count() == FRAMES
    assert SessionAction.objects.filter(object_id=rejected.pk, kind=ActionKind.MASK).exists()
    proposal = AutoProposal.objects.get(masklet=rejected)
    assert proposal.rejected_at is not None
    assert proposal.correction_task_id == task.pk

    # when: a manager gives the task to an annotator, who corrects the masklet with a click
    assert (
        client.patch(
            f"/api/v1/tasks/{task.pk}/", {"assignee": "annotator"}, format="json"
        ).status_code
        == 200
    )
    annotator = client_for(team.annotator)
    click = annotator.post(
        f"/api/v1/masklets/{rejected.pk}/prompts/add/",
        {"frame_index": 3, "points": [[0.5, 0.5, 1]], "clear_old": False},
        format="json",
    )
    assert click.status_code == 201, click.content
    assert Masklet.objects.get(pk=rejected.pk).status == MaskletStatus.REWORKED
    assert (
        annotator.post(
            "/api/v1/activity/", {"video": video.pk, "seconds": 40}, format="json"
        ).status_code
        == 204
    )
    # the correction continues the masklet's SAM 2 state (the log's MASK entry first)
    assert _check_exact(video)["frames"] >= FRAMES * len(proposals)

    # then: the dashboard shows the pipeline's yield and the correction time
    dashboard = client.get(f"/api/v1/projects/{team.project.pk}/dashboard/").json()
    yield_ = dashboard["automatic"]
    assert yield_["proposed"] == len(proposals)
    assert yield_["accepted"] == 1
    assert yield_["rejected"] == 1
    assert yield_["awaiting"] == len(proposals) - 2
    assert yield_["corrected_masklets"] == 1
    assert yield_["corrected_seconds"] == 40


def test_a_cancelled_job_keeps_submitted_batches_and_removes_the_rest(
    team: Team, clip, django_capture_on_commit_callbacks, monkeypatch
):
    video = clip
    client = client_for(team.manager)
    real_submit = automask_task.automask_batch_submit

    def submit_then_cancel(*, job, proposal_ids):  # type: ignore[no-untyped-def]
        going_on = real_submit(job=job, proposal_ids=proposal_ids)
        # a manager cancels while the first batch is being submitted
        assert client.post(f"/api/v1/automask/{job.pk}/cancel/").status_code == 200
        return going_on

    monkeypatch.setattr(automask_task, "automask_batch_submit", submit_then_cancel)
    # when: the job runs and is cancelled after its first batch (one masklet a batch)
    with django_capture_on_commit_callbacks(execute=True):
        created = _start(client, video, frames=[0], max_masklets=4, objects_per_batch=1)
    # then: it ends cancelled; the first batch stays in the queue, the others are gone
    job = Job.objects.get(pk=created["id"])
    assert job.status == JobStatus.CANCELLED
    removed = SessionAction.objects.filter(video=video, kind=ActionKind.REMOVE).count()
    assert removed >= 1, "the clip gave too few masks to cancel between batches"
    (kept,) = AutoProposal.objects.filter(job=job)
    assert kept.submitted_at is not None
    assert kept.masklet.status == MaskletStatus.SUBMITTED
    # the masklets not propagated yet left the video and its SAM 2 state (REMOVE entries)
    assert list(Masklet.objects.filter(video=video, source=MaskletSource.AUTO)) == [kept.masklet]
    assert AutoKeyFrame.objects.get(job=job).generated >= 1 + removed
    # what stays is still exactly one session's result
    assert _check_exact(video)["frames"] == FRAMES


def test_key_frames_after_the_cap_are_not_generated(
    team: Team, clip, django_capture_on_commit_callbacks
):
    # when: a job may make one masklet and frame 0 gives more than one new mask
    with django_capture_on_commit_callbacks(execute=True):
        created = _start(client_for(team.manager), clip, frames=[0, 6], max_masklets=1)
    # then: frame 6 is never generated on; the job says so and is done
    job = Job.objects.get(pk=created["id"])
    assert job.status == JobStatus.DONE, job.error
    assert AutoKeyFrame.objects.get(job=job).over_cap >= 1
    assert list(AutoKeyFrame.objects.filter(job=job).values_list("frame_index", flat=True)) == [0]
    assert job.result["skipped_at_cap"] == [6]
    assert AutoProposal.objects.filter(job=job).count() == 1


class WorkerDied(BaseException):
    """The worker process vanishes mid-job (nothing in the run can catch it)."""


def test_a_job_whose_worker_died_is_recovered_and_finishes_exactly(
    team: Team, clip, django_capture_on_commit_callbacks, monkeypatch
):
    video = clip
    client = client_for(team.manager)
    real_store = automask_task.propagation_frames_store
    calls = {"n": 0}

    def store_then_die(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        done = real_store(**kwargs)
        if calls["n"] == 2:
            raise WorkerDied
        return done

    monkeypatch.setattr(automask_task, "propagation_frames_store", store_then_die)
    # given: the worker dies in the middle of the first key frame's propagation
    with pytest.raises(WorkerDied), django_capture_on_commit_callbacks(execute=True):
        created = _start(client, video, frames=[0, 6], max_masklets=3)
    job = Job.objects.get(video=video, kind="automask")
    assert job.status == JobStatus.RUNNING
    assert job.attempts == 1
    kept = set(
        MaskletFrame.objects.filter(masklet__auto_proposal__job=job).values_list(
            "masklet_id", "frame_index"
        )
    )
    assert kept
    # when: its heartbeat goes stale and another worker (no state in RAM) takes it over
    states.drop_all()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs_recover()
    assert job.pk in report.lost
    # then: the second attempt finishes the job without re-proposing key frame 0
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2
    assert AutoKeyFrame.objects.filter(job=job).count() == 2
    proposals = AutoProposal.objects.filter(job=job)
    assert 1 <= proposals.count() <= 3
    assert all(p.masklet.status == MaskletStatus.SUBMITTED for p in proposals)
    assert kept <= set(
        MaskletFrame.objects.filter(masklet__auto_proposal__job=job).values_list(
            "masklet_id", "frame_index"
        )
    )
    assert _check_exact(video)["frames"] == FRAMES * proposals.count()
    del created


def test_sav_export_puts_auto_masklets_in_the_auto_file_with_stability_scores(
    team: Team, clip, django_capture_on_commit_callbacks
):
    from backend.exports.enums import ExportFormat
    from backend.exports.services import export_job_create, export_job_run
    from tests.backend.exports.helpers import open_export

    video = clip
    # given: an auto-annotation of the clip from frame 0 (key frames at 24 fps: 0, 4, 8)
    with django_capture_on_commit_callbacks(execute=True):
        _start(client_for(team.manager), video, frames=[0], max_masklets=2)
    proposals = list(AutoProposal.objects.filter(job__video=video).order_by("masklet_id"))
    assert proposals
    # when: the project is exported as SA-V training JSON (submitted masklets included)
    export = export_job_create(
        project=team.project,
        author=team.manager,
        format=ExportFormat.SAV,
        include_unaccepted=True,
        video_ids=[video.pk],
    )
    export = export_job_run(job_id=export.pk)
    assert export.status == JobStatus.DONE, export.error
    archive = open_export(export)
    auto_name = next(n for n in archive.namelist() if n.endswith("_auto.json"))
    auto = json.loads(archive.read(auto_name))
    # then: the auto file holds them, each with a stability score per annotated frame
    assert auto["masklet_num"] == len(proposals)
    assert auto["masklet_type"] == ["auto"] * len(proposals)
    scores = auto["masklet_stability_score"]
    assert len(scores) == len(auto["masklet"]) == 3
    for row in scores:
        assert len(row) == len(proposals)
        assert all(s is None or 0.0 <= s <= 1.0 for s in row)
    # on the key frame, the generator's stability score of each mask
    assert scores[0] == pytest.approx([p.stability_score for p in proposals])
    manual_name = auto_name.replace("_auto.json", "_manual.json")
    assert json.loads(archive.read(manual_name))["masklet_num"] == 0
