"""SAM 2 flows through real worker processes and the real broker (Redis in CI), with the
micro model of the fixtures: click, propagation with live events, cancel, a killed worker,
a click while a propagation runs on the same worker."""

import asyncio
import signal
import time

import numpy as np
import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection

from backend.events.models import Event
from backend.events.routing import websocket_urlpatterns
from backend.masklets import jobs
from backend.masklets.models import Masklet, MaskletFrame, PropagationJob
from tests.backend.conftest import Team, client_for
from tests.backend.factories import make_ready_video
from tests.worker import reference

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Long enough that the job is still running when the click answers, even on a slow machine.
PROPAGATED_FRAMES = 240


# Generous: workers start slowly on a busy machine; nothing here asserts on time.
def _wait(predicate, timeout: float = 600.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _sam2_workers() -> int:
    return sum(1 for w in jobs.live_workers() if w.sam2)


def _long_video(team: Team, frames: int = 60):  # type: ignore[no-untyped-def]
    video = make_ready_video(team.project, frames=frames, width=96, height=64)
    team.masklet.video = video
    team.masklet.save()
    team.task.video = video
    team.task.save()
    team.video = video
    return video


def _click(client, team: Team, frame: int = 0, points=None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/",
        {"frame_index": frame, "points": points or [[0.5, 0.5, 1]]},
        format="json",
    )


def _check_exact(video) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every stored mask SAM 2 made equals one uninterrupted session fed the video's log."""
    from worker import engine

    with engine.in_use:
        return reference.compare(engine.get_predictor(), video)


def test_click_through_a_worker_and_takeover_by_snapshot(team: Team, worker_pool, monkeypatch):
    # A click waits for SAM 2 without holding a database connection (the pool is bounded).
    held_while_waiting: list[bool] = []
    await_answer = jobs._await_answer

    def noted(*args, **kwargs):  # type: ignore[no-untyped-def]
        held_while_waiting.append(connection.connection is not None)
        return await_answer(*args, **kwargs)

    monkeypatch.setattr(jobs, "_await_answer", noted)
    # given: one SAM 2 worker
    first = worker_pool.start("gpu", "sam2-a")
    assert _wait(lambda: _sam2_workers() == 1)
    client = client_for(team.annotator)
    # when: two clicks on the first worker
    one = _click(client, team, 0)
    assert one.status_code == 201, one.content
    assert one.json()["mask"]["loaded"] == "replay"  # a video no worker held before
    _click(client, team, 1, [[0.3, 0.3, 1]])
    # then the worker is killed; a second worker takes the state over from its snapshot
    first.send_signal(signal.SIGKILL)
    first.wait()
    worker_pool.start("gpu", "sam2-b")
    # The dead worker stays announced for a few seconds; the click then moves on to the heir.
    assert _wait(
        lambda: any(not w.queue.endswith(f"-{first.pid}") for w in jobs.live_workers() if w.sam2)
    )
    taken_over = _click(client, team, 2, [[0.6, 0.4, 1]])
    assert taken_over.status_code == 201, taken_over.content
    assert taken_over.json()["mask"]["loaded"] == "snapshot"
    assert held_while_waiting
    assert not any(held_while_waiting)
    # the answers are those of one uninterrupted session
    assert _check_exact(team.video)["frames"] == 3
    # and the web process saved it as the frame's mask, origin click, with its event
    saved = MaskletFrame.objects.get(masklet=team.masklet, frame_index=2)
    assert (saved.origin, saved.rle) == ("click", taken_over.json()["mask"]["rle"])
    assert Event.objects.filter(
        kind="masklet.frames_written", payload__version=taken_over.json()["mask"]["version"]
    ).exists()


def test_more_videos_than_a_worker_keeps_in_ram(team: Team, worker_pool):
    """Videos beyond SAM2_MAX_SESSIONS wait in the storage: coming back costs a snapshot
    load, not a replay, and answers stay exact."""
    worker_pool.start("gpu", "sam2-small", SAM2_MAX_SESSIONS="2")
    assert _wait(lambda: _sam2_workers() == 1)
    client = client_for(team.manager)
    videos = []
    for _ in range(3):
        video = make_ready_video(team.project, frames=6, width=96, height=64)
        videos.append((video, Masklet.objects.create(video=video, created_by=team.manager)))
    loaded = []
    for frame in (0, 2, 4):
        for _video, masklet in videos:
            answer = client.post(
                f"/api/v1/masklets/{masklet.pk}/prompts/add/",
                {"frame_index": frame, "points": [[0.3 + frame / 20, 0.5, 1]]},
                format="json",
            )
            assert answer.status_code == 201, answer.content
            loaded.append(answer.json()["mask"]["loaded"])
    # three videos, room for two: every click after the first round loads a snapshot
    assert loaded[:3] == ["replay"] * 3
    assert loaded[3:] == ["snapshot"] * 6
    for video, _masklet in videos:
        assert _check_exact(video)["frames"] == 3


def test_propagation_streams_to_a_websocket_and_can_be_cancelled(
    team: Team, worker_pool, django_capture_on_commit_callbacks
):
    worker_pool.start("gpu", "sam2-prop")
    assert _wait(lambda: _sam2_workers() == 1)
    _long_video(team, frames=60)
    client = client_for(team.annotator)
    assert _click(client, team, 0).status_code == 201

    async def watch() -> list[dict]:
        communicator = WebsocketCommunicator(
            URLRouter(websocket_urlpatterns), f"/ws/projects/{team.project.pk}/events/"
        )
        communicator.scope["user"] = team.reviewer
        assert (await communicator.connect())[0]
        received: list[dict] = []
        try:
            while not any(e["kind"] == "propagation.done" for e in received):
                message = await communicator.receive_json_from(timeout=60)
                received.extend(message["events"])
        finally:
            await communicator.disconnect()
        return received

    async def run() -> list[dict]:
        watcher = asyncio.ensure_future(watch())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(
            lambda: client.post(
                f"/api/v1/videos/{team.video.pk}/propagations/create/",
                {"masklet_ids": [team.masklet.pk], "start_frame": 0},
                format="json",
            )
        )
        return await watcher

    events = asyncio.run(run())
    kinds = [e["kind"] for e in events]
    assert "propagation.frames" in kinds
    assert kinds[-1] == "propagation.done"
    assert MaskletFrame.objects.filter(masklet=team.masklet, origin="propagated").count() == 59

    # cancel: a second job stops at its next batch
    job = client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [team.masklet.pk], "start_frame": 0, "overwrite": True},
        format="json",
    ).json()
    assert _wait(lambda: PropagationJob.objects.get(pk=job["id"]).frames_done > 0)
    client.post(f"/api/v1/propagations/{job['id']}/cancel/")
    assert _wait(lambda: PropagationJob.objects.get(pk=job["id"]).status == "cancelled")
    assert PropagationJob.objects.get(pk=job["id"]).frames_done < 60


def test_killed_worker_mid_propagation_keeps_frames_and_the_job_recovers(
    team: Team, worker_pool, settings
):
    # Stale after longer than a dead worker's announcement lives (WORKER_TTL_S), as in
    # production (90 s): the requeued job is then routed to a live worker at once instead of
    # to the dead one's queue, where it waits for the re-send after JOB_REQUEUE_AFTER_S.
    stale = str(jobs.WORKER_TTL_S + 2)
    settings.JOB_STALE_AFTER_S = int(stale)
    fast = {"JOB_STALE_AFTER_S": stale, "JOB_HEARTBEAT_EVERY_S": "2", "JOB_RECOVER_EVERY_S": "2"}
    first = worker_pool.start("gpu", "sam2-doomed", **fast)
    assert _wait(lambda: _sam2_workers() == 1)
    _long_video(team, frames=120)
    client = client_for(team.annotator)
    assert _click(client, team, 0).status_code == 201
    job = client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [team.masklet.pk], "start_frame": 0},
        format="json",
    ).json()
    assert _wait(lambda: PropagationJob.objects.get(pk=job["id"]).frames_done >= 8)
    # when: the worker dies mid-job
    first.send_signal(signal.SIGKILL)
    first.wait()
    saved = set(
        MaskletFrame.objects.filter(masklet=team.masklet, origin="propagated").values_list(
            "frame_index", flat=True
        )
    )
    assert saved
    worker_pool.start("gpu", "sam2-heir", **fast)
    # then: another worker requeues and finishes it; nothing saved was lost
    assert _wait(lambda: PropagationJob.objects.get(pk=job["id"]).status in ("done", "failed"))
    final = PropagationJob.objects.get(pk=job["id"])
    assert final.status == "done", final.error
    assert final.attempts == 2
    frames = set(
        MaskletFrame.objects.filter(masklet=team.masklet).values_list("frame_index", flat=True)
    )
    assert saved <= frames
    assert len(frames) == 120
    assert np.all(np.isfinite([f.score for f in MaskletFrame.objects.filter(origin="propagated")]))
    # and every mask is what one uninterrupted session gives for the video's log
    assert _check_exact(team.video)["frames"] == 120


def test_click_during_a_propagation_waits_for_one_frame_not_the_job(team: Team, worker_pool):
    """The click thread and the job take turns on the engine frame by frame: a click on the
    video while its propagation runs is answered (correctly) before the job ends."""
    # given: one SAM 2 worker propagating one masklet of a long video
    worker_pool.start("gpu", "sam2-busy")
    assert _wait(lambda: _sam2_workers() == 1)
    video = _long_video(team, frames=PROPAGATED_FRAMES)
    other = Masklet.objects.create(
        video=video, task=team.task, label=team.masklet.label, created_by=team.annotator
    )
    client = client_for(team.annotator)
    assert _click(client, team, 0).status_code == 201
    created = client.post(
        f"/api/v1/videos/{video.pk}/propagations/create/",
        {"masklet_ids": [team.masklet.pk], "start_frame": 0},
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]
    # The job holds the engine frame after frame from here on.
    assert _wait(lambda: PropagationJob.objects.get(pk=job_id).frames_done > 0)
    # when: a click on the video's other masklet
    clicked = client.post(
        f"/api/v1/masklets/{other.pk}/prompts/add/",
        {"frame_index": 7, "points": [[0.3, 0.6, 1]]},
        format="json",
    )
    during = PropagationJob.objects.get(pk=job_id)
    # then: it was answered while the job still ran ...
    assert clicked.status_code == 201, clicked.content
    assert during.status == "running", during.status
    assert 0 < during.frames_done < during.frames_total
    # ... with the mask an undisturbed session gives, saved as the frame's click mask
    mask = clicked.json()["mask"]
    assert (mask["masklet"], mask["frame_index"], mask["loaded"]) == (other.pk, 7, "resident")
    saved = MaskletFrame.objects.get(masklet=other)
    assert (saved.frame_index, saved.origin, saved.rle) == (7, "click", mask["rle"])
    assert Event.objects.filter(
        kind="masklet.frames_written",
        payload__masklet=other.pk,
        payload__version=mask["version"],
        payload__frames=[7],
    ).exists()
    # and the job then finishes with every frame written
    assert _wait(
        lambda: PropagationJob.objects.get(pk=job_id).status in ("done", "failed", "cancelled"),
        300,
    )
    final = PropagationJob.objects.get(pk=job_id)
    assert final.status == "done", final.error
    assert final.frames_done == final.frames_total == PROPAGATED_FRAMES
    origins = dict(
        MaskletFrame.objects.filter(masklet=team.masklet).values_list("frame_index", "origin")
    )
    assert origins == {0: "click", **dict.fromkeys(range(1, PROPAGATED_FRAMES), "propagated")}
    assert MaskletFrame.objects.filter(masklet=other).count() == 1
    # the click and every propagated frame are what one uninterrupted session gives
    assert _check_exact(video)["frames"] == PROPAGATED_FRAMES + 1


def test_auto_annotation_runs_on_the_worker_holding_the_video(team: Team, worker_pool):
    """The automask job kind is woken on the SAM 2 worker's own queue and runs there."""
    from backend.automask.models import AutoProposal
    from backend.jobs.models import Job
    from tests.worker.test_automask import SETTINGS
    from tests.worker.test_loop_exact import make_clip_video

    # given: one SAM 2 worker, which holds the clip's state after a click
    worker_pool.start("gpu", "sam2-auto")
    assert _wait(lambda: _sam2_workers() == 1)
    video = make_clip_video(team, frames=8)
    team.masklet.video, team.masklet.task = video, None
    team.masklet.save()
    client = client_for(team.manager)
    assert _click(client, team, 0).status_code == 201
    # when: a manager auto-annotates it
    created = client.post(
        f"/api/v1/videos/{video.pk}/automask/create/",
        {"frames": [0], "key_frame_mode": "listed", "settings": SETTINGS, "max_masklets": 2},
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]
    # then: the worker holding the video runs it to the end
    assert _wait(lambda: Job.objects.get(pk=job_id).status in ("done", "failed"))
    job = Job.objects.get(pk=job_id)
    assert job.status == "done", job.error
    assert job.worker.startswith("sam2-auto")
    proposals = AutoProposal.objects.filter(job=job)
    assert proposals.count() >= 1
    assert all(p.masklet.status == "submitted" for p in proposals)
    assert _check_exact(video)["frames"] == 1 + 8 * proposals.count()
