"""Masklet workflow: draft -> submitted -> accepted | rejected -> reworked -> resubmitted,
with its history, its events, manager overrides, and who may change masks when."""

import pytest

from backend.events.models import Event
from backend.jobs.enums import JobStatus
from backend.masklets import services as masklet_services
from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet, Prompt, PropagationJob, PropagationMasklet
from backend.masklets.propagation import propagation_job_create
from backend.reviews.enums import AssignmentStatus
from backend.reviews.models import MaskletStatusChange
from tests.backend.conftest import Team, client_for
from tests.backend.reviews.helpers import (
    add_frame,
    annotated_masklet,
    claim,
    force_assignment,
    mask_rle,
    submit,
    verdict,
)


def _history(team: Team, masklet: Masklet) -> list[tuple[str, str, str]]:
    response = client_for(team.annotator).get(f"/api/v1/masklets/{masklet.pk}/history/")
    assert response.status_code == 200
    return [(h["from_status"], h["to_status"], h["action"]) for h in response.json()]


def _reject(team: Team, masklet: Masklet) -> None:
    assert submit(team, masklet).status_code == 200
    assignment = claim(team, team.reviewer).json()
    response = verdict(team.reviewer, assignment["id"], verdict="unsatisfactory", comment="Fix it")
    assert response.status_code == 200, response.json()
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.REJECTED


def test_submit_moves_draft_to_submitted_with_history_and_event(team: Team):
    # given
    masklet = annotated_masklet(team)
    # when
    response = submit(team, masklet)
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert body["review_round"] == 1
    assert body["submitted_at"] is not None
    assert body["version"] == 2
    assert body["frame_count"] == 1
    assert body["is_ground_truth"] is False
    assert body["consensus_discarded"] is False
    history = client_for(team.manager).get(f"/api/v1/masklets/{masklet.pk}/history/").json()
    assert len(history) == 1
    assert history[0]["from_status"] == "draft"
    assert history[0]["to_status"] == "submitted"
    assert history[0]["action"] == "submitted"
    assert history[0]["actor"] == {"id": team.annotator.pk, "username": "annotator"}
    assert history[0]["override"] is False
    assert set(history[0]) == {
        "id",
        "from_status",
        "to_status",
        "action",
        "actor",
        "comment",
        "override",
        "created_at",
    }
    event = Event.objects.get(kind="masklet.status")
    assert event.payload == {"masklet": masklet.pk, "status": "submitted", "version": 2, "round": 1}
    assert event.actor_id == team.annotator.pk


def test_submit_needs_a_mask_on_some_frame(team: Team):
    response = submit(team, team.masklet)
    assert response.status_code == 400
    assert "at least one frame" in response.json()["message"]
    team.masklet.refresh_from_db()
    assert team.masklet.status == MaskletStatus.DRAFT


def test_submit_with_a_stale_version_is_409(team: Team):
    masklet = annotated_masklet(team)
    response = client_for(team.annotator).post(
        f"/api/v1/masklets/{masklet.pk}/submit/", {"version": 7}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["extra"] == {"your_version": 7, "current_version": 1}
    assert not MaskletStatusChange.objects.exists()


def test_submitting_a_submitted_masklet_again_is_409(team: Team):
    masklet = annotated_masklet(team)
    assert submit(team, masklet).status_code == 200
    response = submit(team, masklet)
    assert response.status_code == 409
    assert "already submitted" in response.json()["message"]


def test_submit_waits_for_a_running_propagation(team: Team):
    # given
    masklet = annotated_masklet(team)
    job = PropagationJob.objects.create(
        project=team.project,
        video=team.video,
        params={"start_frame": 0},
        status=JobStatus.RUNNING,
        progress_total=4,
    )
    PropagationMasklet.objects.create(job=job, masklet=masklet)
    # when
    response = submit(team, masklet)
    # then
    assert response.status_code == 409
    assert "propagation" in response.json()["message"]
    assert response.json()["extra"] == {"jobs": [job.pk]}


@pytest.mark.parametrize("who", ["other_annotator", "reviewer"])
def test_only_the_annotator_or_a_manager_submits(team: Team, who: str):
    masklet = annotated_masklet(team)
    response = submit(team, masklet, user=getattr(team, who))
    assert response.status_code == 403
    assert "annotator or a project manager" in response.json()["message"]


def test_manager_may_submit_on_behalf_of_the_annotator(team: Team):
    masklet = annotated_masklet(team)
    assert submit(team, masklet, user=team.manager).json()["status"] == "submitted"


def test_full_cycle_reject_rework_resubmit_accept(team: Team):
    # given: a submitted masklet, rejected with a pinned comment
    masklet = annotated_masklet(team)
    _reject(team, masklet)
    # when: the annotator changes a mask
    masklet.refresh_from_db()
    written = client_for(team.annotator).put(
        f"/api/v1/masklets/{masklet.pk}/frames/",
        {"version": masklet.version, "frames": [{"frame_index": 1, "rle": mask_rle(team)}]},
        format="json",
    )
    # then: it is reworked
    assert written.status_code == 200, written.json()
    assert written.json()["status"] == "reworked"
    # when: a second change, then a resubmission, then a satisfactory verdict
    masklet.refresh_from_db()
    again = client_for(team.annotator).put(
        f"/api/v1/masklets/{masklet.pk}/frames/",
        {"version": masklet.version, "frames": [{"frame_index": 2, "rle": mask_rle(team)}]},
        format="json",
    )
    assert again.json()["status"] == "reworked"
    resubmitted = submit(team, masklet)
    assignment = claim(team, team.reviewer).json()
    accepted = verdict(team.reviewer, assignment["id"], verdict="satisfactory")
    # then
    assert resubmitted.json()["review_round"] == 2
    assert assignment["round"] == 2
    assert accepted.json()["masklet"]["status"] == "accepted"
    assert _history(team, masklet) == [
        ("draft", "submitted", "submitted"),
        ("submitted", "rejected", "rejected"),
        ("rejected", "reworked", "reworked"),
        ("reworked", "submitted", "resubmitted"),
        ("submitted", "accepted", "accepted"),
    ]
    statuses = [
        (e.payload["status"], e.payload["round"])
        for e in Event.objects.filter(kind="masklet.status").order_by("id")
    ]
    assert statuses == [
        ("submitted", 1),
        ("rejected", 1),
        ("reworked", 1),
        ("submitted", 2),
        ("accepted", 2),
    ]
    rejection = MaskletStatusChange.objects.get(action="rejected")
    assert rejection.comment == "Fix it"
    assert rejection.actor_id == team.reviewer.pk


def test_prompt_on_a_rejected_masklet_marks_it_reworked(team: Team):
    # given
    masklet = annotated_masklet(team)
    _reject(team, masklet)
    masklet.refresh_from_db()
    version = masklet.version
    # when
    masklet_services.prompt_add(
        masklet=masklet, author=team.annotator, frame_index=0, points=[[0.5, 0.5, 1]], box=None
    )
    # then: the status changed, the version did not (the prompt is not a versioned write)
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.REWORKED
    assert masklet.version == version
    change = MaskletStatusChange.objects.get(action="reworked")
    assert change.actor_id == team.annotator.pk


def test_prompt_undo_on_a_rejected_masklet_marks_it_reworked(team: Team):
    # given
    masklet = annotated_masklet(team)
    prompt = masklet_services.prompt_add(
        masklet=masklet, author=team.annotator, frame_index=0, points=[[0.5, 0.5, 1]], box=None
    )
    _reject(team, masklet)
    masklet.refresh_from_db()
    prompt.masklet = masklet
    # when
    masklet_services.prompt_undo(prompt=prompt, actor=team.annotator, version=masklet.version)
    # then
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.REWORKED


def test_propagating_a_rejected_masklet_marks_it_reworked(team: Team):
    # given
    masklet = annotated_masklet(team)
    Prompt.objects.create(masklet=masklet, frame_index=0, order=1, points=[[0.5, 0.5, 1]])
    _reject(team, masklet)
    masklet.refresh_from_db()
    # when
    propagation_job_create(
        video=team.video,
        author=team.annotator,
        masklets=[masklet],
        start_frame=0,
        direction="forward",
    )
    # then
    masklet.refresh_from_db()
    assert masklet.status == MaskletStatus.REWORKED
    assert MaskletStatusChange.objects.filter(action="reworked").count() == 1


def test_edits_of_draft_masklets_write_no_history(team: Team):
    masklet = annotated_masklet(team)
    client_for(team.annotator).put(
        f"/api/v1/masklets/{masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": 1, "rle": mask_rle(team)}]},
        format="json",
    )
    assert not MaskletStatusChange.objects.exists()
    assert not Event.objects.filter(kind="masklet.status").exists()


@pytest.mark.parametrize("status", [MaskletStatus.SUBMITTED, MaskletStatus.ACCEPTED])
def test_annotator_cannot_change_masks_under_review_or_accepted(team: Team, status: str):
    # given
    masklet = team.masklet
    add_frame(team, masklet)
    Prompt.objects.create(masklet=masklet, frame_index=0, order=1, points=[[0.5, 0.5, 1]])
    Masklet.objects.filter(pk=masklet.pk).update(status=status)
    client = client_for(team.annotator)
    # when
    write = client.put(
        f"/api/v1/masklets/{masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": 1, "rle": mask_rle(team)}]},
        format="json",
    )
    prompt = client.post(
        f"/api/v1/masklets/{masklet.pk}/prompts/add/",
        {"frame_index": 0, "points": [[0.5, 0.5, 1]]},
        format="json",
    )
    propagate = client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [masklet.pk], "start_frame": 0},
        format="json",
    )
    undo = client.post(
        f"/api/v1/prompts/{Prompt.objects.get().pk}/undo/",
        {"version": 1, "delete_frames": [0]},
        format="json",
    )
    # then
    for response in (write, prompt, propagate, undo):
        assert response.status_code == 409, response.json()
        assert "under review" in response.json()["message"]
    assert masklet.frames.count() == 1
    assert Prompt.objects.count() == 1


@pytest.mark.parametrize("status", [MaskletStatus.SUBMITTED, MaskletStatus.ACCEPTED])
@pytest.mark.parametrize("who", ["annotator", "manager"])
def test_masklet_under_review_or_accepted_cannot_be_renamed_or_deleted(
    team: Team, status: str, who: str
):
    # given
    masklet = team.masklet
    add_frame(team, masklet)
    Masklet.objects.filter(pk=masklet.pk).update(status=status)
    client = client_for(getattr(team, who))
    # when
    rename = client.patch(
        f"/api/v1/masklets/{masklet.pk}/", {"version": 1, "name": "other"}, format="json"
    )
    delete = client.delete(f"/api/v1/masklets/{masklet.pk}/?version=1")
    # then
    for response in (rename, delete):
        assert response.status_code == 409, response.json()
        assert "reopen" in response.json()["message"]
    after = Masklet.objects.get(pk=masklet.pk)
    assert (after.name, after.version) == (masklet.name, 1)


@pytest.mark.parametrize("status", [MaskletStatus.DRAFT, MaskletStatus.SUBMITTED])
def test_reviewer_never_changes_masks(team: Team, status: str):
    Masklet.objects.filter(pk=team.masklet.pk).update(status=status)
    client = client_for(team.reviewer)
    write = client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": 0, "rle": mask_rle(team)}]},
        format="json",
    )
    prompt = client.post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/",
        {"frame_index": 0, "points": [[0.5, 0.5, 1]]},
        format="json",
    )
    for response in (write, prompt):
        assert response.status_code == 403
        assert "never edit masks" in response.json()["message"]
    assert not team.masklet.frames.exists()


def test_manager_override_is_recorded_and_ends_the_review_lease(team: Team):
    # given: a submitted masklet a reviewer holds
    masklet = annotated_masklet(team)
    submit(team, masklet)
    assignment = force_assignment(masklet, team.reviewer)
    # when
    response = client_for(team.manager).post(
        f"/api/v1/masklets/{masklet.pk}/override/",
        {"status": "accepted", "reason": "Checked it myself"},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "accepted"
    change = MaskletStatusChange.objects.order_by("id").last()
    assert (change.from_status, change.to_status, change.action) == (
        "submitted",
        "accepted",
        "accepted",
    )
    assert change.override is True
    assert change.comment == "Checked it myself"
    assert change.actor_id == team.manager.pk
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RELEASED
    late = verdict(team.reviewer, assignment.pk, verdict="satisfactory")
    assert late.status_code == 409
    assert Event.objects.filter(kind="masklet.status").last().payload["status"] == "accepted"


def test_override_back_to_draft_reopens_the_masklet(team: Team):
    masklet = annotated_masklet(team)
    submit(team, masklet)
    response = client_for(team.manager).post(
        f"/api/v1/masklets/{masklet.pk}/override/",
        {"status": "draft", "reason": "Wrong object"},
        format="json",
    )
    assert response.json()["status"] == "draft"
    assert MaskletStatusChange.objects.last().action == "reopened"
    # the next submission counts as a resubmission
    assert submit(team, masklet).json()["review_round"] == 2
    assert MaskletStatusChange.objects.last().action == "resubmitted"


def test_override_needs_a_reason_a_new_status_and_a_manager(team: Team):
    url = f"/api/v1/masklets/{team.masklet.pk}/override/"
    manager = client_for(team.manager)
    no_reason = manager.post(url, {"status": "accepted", "reason": ""}, format="json")
    same = manager.post(url, {"status": "draft", "reason": "x"}, format="json")
    bad = manager.post(url, {"status": "submitted", "reason": "x"}, format="json")
    not_manager = client_for(team.reviewer).post(
        url, {"status": "accepted", "reason": "x"}, format="json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["message"].startswith("reason:")
    assert same.status_code == 409
    assert "already draft" in same.json()["message"]
    assert bad.status_code == 400
    assert not_manager.status_code == 403
    assert "manager" in not_manager.json()["message"]
    assert not MaskletStatusChange.objects.exists()


def test_status_events_are_written_for_every_transition(team: Team):
    masklet = annotated_masklet(team)
    _reject(team, masklet)
    assert (
        Event.objects.filter(kind="masklet.status").count() == MaskletStatusChange.objects.count()
    )
    review_event = Event.objects.get(kind="masklet.review")
    assert review_event.payload["verdict"] == "unsatisfactory"
