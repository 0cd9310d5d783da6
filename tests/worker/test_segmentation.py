"""Clicks and propagation with the micro SAM 2.1 model, Celery eager (one process)."""

import numpy as np
import pytest
from django.utils import timezone

from backend.common import rle
from backend.events.models import Event
from backend.jobs.enums import JobStatus
from backend.jobs.recovery import jobs_recover
from backend.masklets import jobs
from backend.masklets.models import MaskletFrame, Prompt, PropagationJob
from tests.backend.conftest import Team, client_for
from worker import clicks, engine, states

POINT = {"points": [[0.5, 0.5, 1]]}


def _click(client, team: Team, frame: int, **prompt):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/",
        {"frame_index": frame, **prompt},
        format="json",
    )


def test_click_returns_the_mask_and_saves_it_as_a_click_frame(team: Team):
    # when
    response = _click(client_for(team.annotator), team, 1, **POINT)
    # then
    assert response.status_code == 201, response.content
    mask = response.json()["mask"]
    assert mask["frame_index"] == 1
    assert mask["rle"]["size"] == [team.video.height, team.video.width]
    decoded = rle.decode(mask["rle"])
    assert decoded.shape == (48, 64)
    row = MaskletFrame.objects.get(masklet=team.masklet, frame_index=1)
    assert row.origin == "click"
    assert row.rle == mask["rle"]
    assert row.score == mask["score"]
    assert mask["version"] == 2
    assert mask["engine_ms"] > 0


def test_a_state_loaded_from_its_snapshot_answers_as_the_resident_one(team: Team):
    # given: two clicks, then a third, with the video's state in RAM
    client = client_for(team.annotator)
    states.drop_all()
    _click(client, team, 0, **POINT)
    _click(client, team, 2, points=[[0.2, 0.3, 1], [0.8, 0.8, 0]])
    resident = _click(client, team, 2, points=[[0.4, 0.6, 1]], clear_old=False).json()["mask"]
    # when: the worker forgets the state (evicted, or another worker takes over) and the
    # third click is taken back and given again
    undone = client.post(
        f"/api/v1/prompts/{Prompt.objects.order_by('-pk').first().pk}/undo/",
        {"version": resident["version"]},
        format="json",
    )
    assert undone.status_code == 200, undone.content
    states.drop_all()
    again = _click(client, team, 2, points=[[0.4, 0.6, 1]], clear_old=False).json()["mask"]
    # then: loaded from the snapshot in storage, not replayed, and the same answer
    assert resident["loaded"] == "resident"
    assert again["loaded"] == "snapshot"
    assert again["rle"] == resident["rle"]
    assert again["score"] == pytest.approx(resident["score"], abs=1e-6)


def test_without_a_snapshot_the_log_is_replayed_to_the_same_answer(team: Team):
    from django.core.files.storage import default_storage

    client = client_for(team.annotator)
    states.drop_all()
    _click(client, team, 1, **POINT)
    first = _click(client, team, 1, points=[[0.3, 0.3, 0]], clear_old=False).json()["mask"]
    undone = client.post(
        f"/api/v1/prompts/{Prompt.objects.order_by('-pk').first().pk}/undo/",
        {"version": first["version"]},
        format="json",
    )
    assert undone.status_code == 200, undone.content
    states.drop_all()
    default_storage.delete(f"sam2state/{team.video.pk}/head.json")
    again = _click(client, team, 1, points=[[0.3, 0.3, 0]], clear_old=False).json()["mask"]
    assert again["loaded"] == "replay"
    assert again["rle"] == first["rle"]


def test_without_a_checkpoint_clicks_get_503_with_how_to_fix(team: Team, settings, monkeypatch):
    from worker import engine

    monkeypatch.setattr(engine, "_status", None)
    monkeypatch.setattr(engine, "_predictor", None)
    settings.SAM2_CHECKPOINT = ""
    states.drop_all()
    response = _click(client_for(team.annotator), team, 0, **POINT)
    assert response.status_code == 503
    assert "SAM2_CHECKPOINT" in response.json()["message"]
    assert not team.masklet.prompts.exists()
    # the log says the click was given and failed (the dashboard does not count it)
    kinds = list(Event.objects.filter(kind__startswith="prompt.").values_list("kind", "actor_id"))
    assert kinds == [("prompt.added", team.annotator.pk), ("prompt.failed", team.annotator.pk)]
    monkeypatch.setattr(engine, "_status", None)  # the next test loads the real one again


def test_a_click_the_web_gave_up_on_is_never_applied(team: Team):
    # given: a stored click whose request the web process gave up on (abandoned)
    from django.db import transaction

    from backend.masklets import actions, services

    with transaction.atomic():
        prompt = services.prompt_add(
            masklet=team.masklet,
            author=team.annotator,
            frame_index=0,
            points=[[0.5, 0.5, 1]],
            box=None,
        )
    entry = actions.action_of_prompt(prompt=prompt)
    assert actions.action_abandon(action_id=entry.pk)
    states.drop_all()
    # when: the worker gets to it
    answer = clicks.answer(
        jobs.ClickRequest(answer_to="", video=team.video.pk, seq=entry.seq, deadline=0.0)
    )
    # then: it says why, and the state never saw the click
    assert answer["status"] == 409
    assert "taken back" in answer["error"]
    with engine.in_use:
        assert team.masklet.pk not in states.get(team.video.pk).session.object_ids


def _propagate(client, team: Team, **body):  # type: ignore[no-untyped-def]
    payload = {"masklet_ids": [team.masklet.pk], "start_frame": 0, **body}
    return client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/", payload, format="json"
    )


def test_propagation_writes_every_frame_with_events(team: Team, django_capture_on_commit_callbacks):
    # given
    client = client_for(team.annotator)
    _click(client, team, 0, **POINT)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _propagate(client, team, direction="forward")
    # then
    assert response.status_code == 201, response.content
    job = PropagationJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.DONE
    assert job.frames_done == job.frames_total == 4
    origins = dict(
        MaskletFrame.objects.filter(masklet=team.masklet).values_list("frame_index", "origin")
    )
    assert origins == {0: "click", 1: "propagated", 2: "propagated", 3: "propagated"}
    kinds = list(
        Event.objects.filter(kind__startswith="propagation.").values_list("kind", flat=True)
    )
    assert kinds[0] == "propagation.queued"
    assert kinds[-1] == "propagation.done"
    assert "propagation.frames" in kinds
    status = client.get(f"/api/v1/propagations/{job.pk}/").json()
    assert status["status"] == "done"


def test_propagation_keeps_edited_frames_unless_asked(
    team: Team, django_capture_on_commit_callbacks
):
    # given: frame 2 painted by hand
    client = client_for(team.annotator)
    _click(client, team, 0, **POINT)
    painted = np.zeros((48, 64), np.uint8)
    painted[:10, :10] = 1
    version = client.get(f"/api/v1/masklets/{team.masklet.pk}/").json()["version"]
    client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {"version": version, "frames": [{"frame_index": 2, "rle": rle.encode(painted)}]},
        format="json",
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, team, direction="forward")
    # then
    kept = MaskletFrame.objects.get(masklet=team.masklet, frame_index=2)
    assert kept.origin == "edited"
    assert kept.rle == rle.encode(painted)
    # when: overwrite asked
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, team, direction="forward", overwrite=True)
    assert MaskletFrame.objects.get(masklet=team.masklet, frame_index=2).origin == "propagated"


def test_backward_and_both_directions_cover_the_range(
    team: Team, django_capture_on_commit_callbacks
):
    client = client_for(team.annotator)
    _click(client, team, 2, **POINT)
    with django_capture_on_commit_callbacks(execute=True):
        job = _propagate(client, team, direction="both", start_frame=2).json()
    assert job["frames_total"] == 4
    frames = set(
        MaskletFrame.objects.filter(masklet=team.masklet).values_list("frame_index", flat=True)
    )
    assert frames == {0, 1, 2, 3}


def test_propagation_needs_something_to_start_from(team: Team):
    response = _propagate(client_for(team.annotator), team)
    assert response.status_code == 400
    assert "Nothing to start from" in response.json()["message"]


def test_cancel_of_a_queued_job_stops_it_before_it_starts(team: Team):
    client = client_for(team.annotator)
    _click(client, team, 0, **POINT)
    job = _propagate(client, team).json()  # on_commit not executed: it stays queued
    cancelled = client.post(f"/api/v1/propagations/{job['id']}/cancel/").json()
    assert cancelled["status"] == "cancelled"
    from worker.tasks.segmentation import masklet_propagate_task

    masklet_propagate_task.apply(args=[job["id"]])
    assert not MaskletFrame.objects.filter(origin="propagated").exists()


def test_a_job_whose_worker_died_is_requeued_then_failed(team: Team):
    client = client_for(team.annotator)
    _click(client, team, 0, **POINT)
    job_id = _propagate(client, team).json()["id"]
    long_ago = timezone.now() - timezone.timedelta(minutes=10)
    PropagationJob.objects.filter(pk=job_id).update(
        status="running",
        heartbeat_at=long_ago,
        attempts=1,
        worker="sam2@lost-host",
        worker_host="lost-host",
        worker_pid=4242,
        queue="gpu",
    )
    assert jobs_recover().lost == [job_id]
    assert PropagationJob.objects.get(pk=job_id).status == "queued"
    requeued = Event.objects.filter(kind="propagation.requeued").get()
    assert requeued.payload["lost_worker"] == "sam2@lost-host (host lost-host, pid 4242, queue gpu)"
    PropagationJob.objects.filter(pk=job_id).update(
        status="running", heartbeat_at=long_ago, attempts=3
    )
    jobs_recover()
    job = PropagationJob.objects.get(pk=job_id)
    assert job.status == "failed"
    assert "sam2@lost-host (host lost-host, pid 4242, queue gpu)" in job.error


def test_undo_of_a_click_forgets_it_and_restores_the_frame(team: Team):
    # given: a click on frame 1, then a second click there
    client = client_for(team.annotator)
    first = _click(client, team, 1, **POINT).json()
    second = _click(client, team, 1, points=[[0.2, 0.2, 0]], clear_old=False).json()
    # when: the second click is undone, putting back the first click's mask
    response = client.post(
        f"/api/v1/prompts/{second['prompt']['id']}/undo/",
        {"version": second["mask"]["version"]},
        format="json",
    )
    # then
    assert response.status_code == 200, response.content
    assert [p.pk for p in team.masklet.prompts.all()] == [first["prompt"]["id"]]
    row = MaskletFrame.objects.get(masklet=team.masklet, frame_index=1)
    assert row.rle == first["mask"]["rle"]
    assert Event.objects.filter(kind="prompt.deleted").count() == 1
    # a click now is answered from the history without the undone prompt
    again = _click(client, team, 1, points=[[0.2, 0.2, 0]], clear_old=False).json()["mask"]
    assert again["rle"] == second["mask"]["rle"]
    stale = client.post(
        f"/api/v1/prompts/{first['prompt']['id']}/undo/", {"version": 1}, format="json"
    )
    assert stale.status_code == 409
