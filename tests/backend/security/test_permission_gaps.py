"""Permission gaps found by the audit, each closed: cancelling someone else's propagation, a
task's frame range, a demoted reviewer's lease, the origin of a frame, and accepting a
masklet while a propagation still writes it."""

import numpy as np
import pytest

from backend.common import rle
from backend.jobs.enums import JobStatus
from backend.jobs.services import WorkerIdentity, job_claim
from backend.masklets.enums import FrameOrigin
from backend.masklets.models import Masklet, MaskletFrame, Prompt, PropagationJob
from backend.masklets.propagation import propagation_job_create
from backend.projects.enums import Role
from backend.projects.models import Membership, Task
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import ReviewAssignment
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory, TaskFactory
from tests.backend.reviews.helpers import add_frame, claim, mask_rle, new_reviewer, verdict


def _prompted(masklet: Masklet, frame: int = 1) -> Masklet:
    """A click on the frame, with its mask stored (what a propagation starts from)."""
    Prompt.objects.create(masklet=masklet, frame_index=frame, order=1, points=[[0.5, 0.5, 1]])
    encoded = rle.encode(np.pad(np.ones((8, 8), np.uint8), ((4, 36), (4, 52))))
    MaskletFrame.objects.create(
        masklet=masklet,
        frame_index=frame,
        rle=encoded,
        area=rle.area(encoded),
        bbox=rle.bbox(encoded),
        origin=FrameOrigin.CLICK,
    )
    return masklet


def _job(team: Team, masklet: Masklet, author) -> PropagationJob:  # type: ignore[no-untyped-def]
    return propagation_job_create(
        video=team.video,
        author=author,
        masklets=[_prompted(masklet)],
        start_frame=1,
        direction="forward",
    )


# ---- cancelling a propagation ----------------------------------------------------------


@pytest.fixture
def others_job(team: Team) -> PropagationJob:
    """A propagation of other_annotator's masklet (in their own task)."""
    task = TaskFactory(project=team.project, video=team.video, assignee=team.other_annotator)
    theirs = MaskletFactory(video=team.video, task=task, created_by=team.other_annotator)
    return _job(team, theirs, team.other_annotator)


def test_annotator_cannot_cancel_another_annotators_propagation(team: Team, others_job):
    response = client_for(team.annotator).post(f"/api/v1/propagations/{others_job.pk}/cancel/")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "Only a manager, or the annotator of its masklets, can cancel a propagation."
    )
    others_job.refresh_from_db()
    assert not others_job.cancel_requested
    assert others_job.status == JobStatus.QUEUED


@pytest.mark.parametrize("who", ["other_annotator", "manager"])
def test_the_masklets_annotator_or_a_manager_cancels_it(team: Team, others_job, who: str):
    response = client_for(getattr(team, who)).post(f"/api/v1/propagations/{others_job.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == JobStatus.CANCELLED


# ---- the task's frame range -----------------------------------------------------------


@pytest.fixture
def ranged(team: Team) -> Team:
    """The annotator's task covers frames 1 and 2 of the video's 4."""
    Task.objects.filter(pk=team.task.pk).update(frame_start=1, frame_end=3)
    team.task.refresh_from_db()
    return team


@pytest.mark.parametrize(("frame", "status"), [(0, 403), (1, 200), (2, 200), (3, 403)])
def test_annotator_writes_masks_only_inside_their_tasks_frames(
    ranged: Team, frame: int, status: int
):
    response = client_for(ranged.annotator).put(
        f"/api/v1/masklets/{ranged.masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": frame, "rle": mask_rle(ranged)}]},
        format="json",
    )
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json()["message"] == (
            f"Your task covers frames 1..2 of this video; frame {frame} is outside it."
        )
        assert response.json()["extra"]["frames_outside"] == [frame]
        assert not MaskletFrame.objects.exists()


def test_annotator_deletes_masks_only_inside_their_tasks_frames(ranged: Team):
    add_frame(ranged, ranged.masklet, frame_index=0)
    response = client_for(ranged.annotator).put(
        f"/api/v1/masklets/{ranged.masklet.pk}/frames/",
        {"version": 1, "delete_frames": [0]},
        format="json",
    )
    assert response.status_code == 403
    assert MaskletFrame.objects.filter(frame_index=0).exists()


def test_a_manager_writes_any_frame_of_the_masklet(ranged: Team):
    response = client_for(ranged.manager).put(
        f"/api/v1/masklets/{ranged.masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": 0, "rle": mask_rle(ranged)}]},
        format="json",
    )
    assert response.status_code == 200


def test_annotator_clicks_only_inside_their_tasks_frames(ranged: Team):
    response = client_for(ranged.annotator).post(
        f"/api/v1/masklets/{ranged.masklet.pk}/prompts/add/",
        {"frame_index": 3, "points": [[0.5, 0.5, 1]]},
        format="json",
    )
    assert response.status_code == 403
    assert not Prompt.objects.exists()


def test_annotator_undo_cannot_write_outside_their_tasks_frames(ranged: Team):
    # given: a click on frame 0, made before the task was narrowed to frames 1..2
    prompt = _prompted(ranged.masklet, frame=0).prompts.get()
    # when
    response = client_for(ranged.annotator).post(
        f"/api/v1/prompts/{prompt.pk}/undo/", {"version": 1}, format="json"
    )
    # then
    assert response.status_code == 403
    assert Prompt.objects.filter(pk=prompt.pk).exists()


def test_annotator_propagates_inside_their_tasks_frames(ranged: Team):
    _prompted(ranged.masklet)
    client = client_for(ranged.annotator)
    path = f"/api/v1/videos/{ranged.video.pk}/propagations/create/"
    # an explicit range beyond the task is refused
    wide = client.post(
        path,
        {"masklet_ids": [ranged.masklet.pk], "start_frame": 1, "frame_start": 0},
        format="json",
    )
    too_far = client.post(
        path, {"masklet_ids": [ranged.masklet.pk], "start_frame": 1, "frame_end": 4}, format="json"
    )
    outside_start = client.post(
        path, {"masklet_ids": [ranged.masklet.pk], "start_frame": 3, "frame_end": 3}, format="json"
    )
    assert (wide.status_code, too_far.status_code, outside_start.status_code) == (403, 403, 403)
    assert not PropagationJob.objects.exists()
    # without a range, the job covers the task's frames
    job = client.post(
        path,
        {"masklet_ids": [ranged.masklet.pk], "start_frame": 1, "direction": "both"},
        format="json",
    )
    assert job.status_code == 201, job.json()
    assert (job.json()["frame_start"], job.json()["frame_end"]) == (1, 3)


# ---- a reviewer made annotator ---------------------------------------------------------


def test_reviewer_demoted_to_annotator_cannot_judge_the_masklet_they_hold(team: Team):
    # given: the reviewer holds a lease on a submitted masklet
    add_frame(team, team.masklet)
    Masklet.objects.filter(pk=team.masklet.pk).update(status="submitted", review_round=1)
    assignment_id = claim(team, team.reviewer).json()["id"]
    # when: a manager makes them an annotator
    membership = Membership.objects.get(project=team.project, user=team.reviewer)
    assert (
        client_for(team.manager)
        .patch(f"/api/v1/members/{membership.pk}/", {"role": Role.ANNOTATOR}, format="json")
        .status_code
        == 200
    )
    # then: no verdict and no renewal from them
    judged = verdict(team.reviewer, assignment_id, verdict="satisfactory")
    renewed = client_for(team.reviewer).post(f"/api/v1/review-assignments/{assignment_id}/renew/")
    assert (judged.status_code, renewed.status_code) == (403, 403)
    assert judged.json()["message"].startswith("Your role in this project is now annotator")
    team.masklet.refresh_from_db()
    assert team.masklet.status == "submitted"
    # and the masklet goes to the next reviewer at once, not when the lease runs out
    other = new_reviewer(team)
    assert claim(team, other).json()["masklet"]["id"] == team.masklet.pk
    assert ReviewAssignment.objects.get(pk=assignment_id).status == AssignmentStatus.RELEASED


# ---- origin ----------------------------------------------------------------------------


def test_origin_and_score_of_written_masks_are_decided_by_the_server(team: Team):
    # given: a client that claims its edit came from propagation, with a model score
    response = client_for(team.annotator).put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {
            "version": 1,
            "frames": [
                {"frame_index": 1, "rle": mask_rle(team), "origin": "propagated", "score": 0.99}
            ],
        },
        format="json",
    )
    # then: it is stored as what it is, a person's edit
    assert response.status_code == 200
    frame = MaskletFrame.objects.get()
    assert (frame.origin, frame.score) == (FrameOrigin.EDITED, None)


# ---- accepting during a propagation ----------------------------------------------------


@pytest.mark.parametrize("running", [False, True], ids=["queued", "running"])
def test_manager_cannot_accept_a_masklet_while_a_propagation_writes_it(team: Team, running: bool):
    # given: a propagation of the masklet, queued or running
    job = _job(team, team.masklet, team.annotator)
    if running:
        job_claim(
            job_id=job.pk, worker=WorkerIdentity(name="gpu@box", host="box", pid=7, queue="gpu")
        )
    add_frame(team, team.masklet)
    client = client_for(team.manager)
    path = f"/api/v1/masklets/{team.masklet.pk}/override/"
    # when
    refused = client.post(path, {"status": "accepted", "reason": "looks good"}, format="json")
    # then: refused with the job to cancel; after cancelling, the override goes through
    assert refused.status_code == 409
    assert refused.json()["extra"] == {"jobs": [job.pk]}
    assert refused.json()["message"].startswith("A propagation of this masklet is still running")
    team.masklet.refresh_from_db()
    assert team.masklet.status == "draft"
    PropagationJob.objects.filter(pk=job.pk).update(status=JobStatus.CANCELLED)
    accepted = client.post(path, {"status": "accepted", "reason": "looks good"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"


def test_no_propagation_starts_on_an_accepted_masklet(team: Team):
    _prompted(team.masklet)
    Masklet.objects.filter(pk=team.masklet.pk).update(status="accepted")
    response = client_for(team.manager).post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [team.masklet.pk], "start_frame": 1},
        format="json",
    )
    assert response.status_code == 409
    assert not PropagationJob.objects.exists()
