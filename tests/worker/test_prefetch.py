"""Frames encoded ahead (worker/prefetch.py), Celery eager in one process: an encoding
ahead never delays a click, and features encoded ahead give the masks one session gives."""

import os
import threading
import time

from backend.masklets import jobs
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory
from tests.worker import reference
from tests.worker.test_loop_exact import _click, make_clip_video
from worker import engine, prefetch, registry, states

WAIT_S = 300


def _clicked_video(team: Team):  # type: ignore[no-untyped-def]
    video = make_clip_video(team, frames=8)
    masklet = MaskletFactory(video=video, task=None, created_by=team.manager)
    client = client_for(team.manager)
    states.drop_all()
    _click(client, masklet, 0, [[0.5, 0.5, 1]])  # the video's state is now in RAM
    return video, masklet, client


def test_a_click_during_an_encoding_ahead_is_answered_and_the_encoding_abandoned(team: Team):
    video, masklet, client = _clicked_video(team)
    paused, clicked = threading.Event(), threading.Event()
    outcome: list[str] = []

    def newer() -> bool:
        # The encoding stops here, between two encoder blocks, until the click is answered.
        paused.set()
        clicked.wait(WAIT_S)
        return False

    # given: frame 4 being encoded ahead, half-way through the image encoder
    thread = threading.Thread(
        target=lambda: outcome.append(prefetch.encode_ahead(video.pk, 4, newer))
    )
    thread.start()
    try:
        assert paused.wait(WAIT_S)
        # then: it does not hold the engine
        assert not engine.in_use.locked()
        # when: a click on another frame comes
        answer = _click(client, masklet, 2, [[0.4, 0.5, 1]], clear_old=False)
    finally:
        clicked.set()
        thread.join(WAIT_S)
    # then: the click was answered while the encoding was paused, and the encoding gave up
    assert answer["mask"]["rle"]["size"] == [video.height, video.width]
    assert outcome == [prefetch.Outcome.ABANDONED]


def test_a_click_on_the_frame_being_encoded_ahead_joins_that_encoding(team: Team):
    video, masklet, client = _clicked_video(team)
    paused = threading.Event()
    outcome: list[str] = []

    def newer() -> bool:
        # The encoding stops here until a click joined it.
        paused.set()
        for _ in range(WAIT_S * 20):
            if prefetch._under_way["now"].joined.is_set():
                break
            time.sleep(0.05)
        return False

    # given: frame 4 being encoded ahead, half-way through the image encoder
    thread = threading.Thread(
        target=lambda: outcome.append(prefetch.encode_ahead(video.pk, 4, newer))
    )
    thread.start()
    try:
        assert paused.wait(WAIT_S)
        computed = states.resident_state(video.pk).session.features_computed
        # when: a click on that very frame comes
        _click(client, masklet, 4, [[0.4, 0.5, 1]], clear_old=False)
    finally:
        thread.join(WAIT_S)
    # then: the encoding went on to the end and the click used its features
    assert outcome == [prefetch.Outcome.KEPT]
    assert states.resident_state(video.pk).session.features_computed == computed
    with engine.in_use:
        assert reference.compare(engine.get_predictor(), video)["frames"] == 2


def test_features_encoded_ahead_are_used_by_the_click_and_give_the_same_masks(team: Team):
    video, masklet, client = _clicked_video(team)
    # when: the annotator rests on frame 5 and the worker is idle
    outcomes = prefetch.encode_around(video.pk, 5, lambda: False)
    # then: frame 5 and its neighbours were encoded and kept
    assert outcomes == [prefetch.Outcome.KEPT] * 3
    session = states.resident_state(video.pk).session
    assert all(session.has_features(f) for f in (4, 5, 6))
    computed = session.features_computed
    # when: the first click on frame 5
    _click(client, masklet, 5, [[0.4, 0.5, 1]], clear_old=False)
    # then: it skipped the image encoder, and every stored mask is the reference's
    assert states.resident_state(video.pk).session.features_computed == computed
    with engine.in_use:
        assert reference.compare(engine.get_predictor(), video)["frames"] == 2


def test_neighbours_are_encoded_at_the_lowest_cpu_priority(team: Team, monkeypatch):
    """A click arriving while a neighbour (a guess) is encoded gets the cores: the shown
    frame is encoded at the worker's priority, its neighbours by a thread of nice 19."""
    video, _masklet, _client = _clicked_video(team)
    session = states.resident_state(video.pk).session
    nice: dict[int, int] = {}
    encode = type(session).encode_ahead

    def noted(self, frame, cancelled):  # type: ignore[no-untyped-def]
        nice[frame] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return encode(self, frame, cancelled)

    monkeypatch.setattr(type(session), "encode_ahead", noted)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert prefetch.encode_around(video.pk, 5, lambda: False) == [prefetch.Outcome.KEPT] * 3
    assert nice == {5: own, 6: 19, 4: 19}


def test_nothing_is_encoded_ahead_while_propagating_or_after_moving_on(team: Team):
    video, _masklet, _client = _clicked_video(team)
    # while a propagation runs: dropped
    registry.set_activity(f"propagating video {video.pk} (frame 3)")
    try:
        assert prefetch.encode_around(video.pk, 3, lambda: False) == [prefetch.Outcome.BUSY]
    finally:
        registry.set_activity("")
    # the annotator moved on: abandoned, neighbours not started
    assert prefetch.encode_around(video.pk, 3, lambda: True) == [prefetch.Outcome.ABANDONED]
    # a video this worker does not hold
    states.drop_all()
    assert prefetch.encode_ahead(video.pk, 3, lambda: False) == prefetch.Outcome.ABSENT


def test_the_shown_frame_api_checks_the_frame(team: Team):
    video, _masklet, client = _clicked_video(team)
    url = f"/api/v1/videos/{video.pk}/frames/shown/"
    response = client.post(url, {"frame_index": 3}, format="json")
    # (eager tests have no worker thread to ask)
    assert (response.status_code, response.json()) == (202, {"encoding": False})
    assert client.post(url, {"frame_index": 8}, format="json").status_code == 400
    assert client.post(url, {"frame_index": "3"}, format="json").status_code == 400
    assert jobs.frame_shown(video_id=video.pk, frame_index=3) is False


def test_a_shown_frame_reaches_the_worker_holding_the_video_over_the_broker(
    team: Team, broker_url, settings
):
    import json

    from backend.common.redis import get_redis
    from backend.config.celery import app

    video, _masklet, _client = _clicked_video(team)
    settings.REDIS_URL = broker_url
    get_redis.cache_clear()
    app.conf.task_always_eager = False
    stop = threading.Event()
    try:
        # given: this process announced as the SAM 2 worker holding the video, serving
        client = get_redis()
        client.set(f"{jobs.WORKER_KEY_PREFIX}w-test", json.dumps({"queue": "w-test", "sam2": True}))
        client.set(f"{jobs.SESSION_KEY_PREFIX}{video.pk}", "w-test")
        prefetch.start_serving("w-test", stop)
        # when: the annotator rests on frame 6
        assert jobs.frame_shown(video_id=video.pk, frame_index=6) is True
        # then: the worker encodes it ahead
        session = states.resident_state(video.pk).session
        deadline = time.monotonic() + WAIT_S
        while not session.has_features(6) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert session.has_features(6)
        # (a video no worker holds is not routed anywhere)
        client.delete(f"{jobs.SESSION_KEY_PREFIX}{video.pk}")
        assert jobs.frame_shown(video_id=video.pk, frame_index=6) is False
    finally:
        stop.set()
        get_redis().delete(f"{jobs.WORKER_KEY_PREFIX}w-test")
        app.conf.task_always_eager = True
        get_redis.cache_clear()
