"""Re-propagating only what changed (`until_agreement`), Celery eager in one process.

A pass stops by itself where the new masks agree with the stored ones again (IoU >= 0.98 on
3 consecutive frames) or before the next frame a person made for the object; the frames
after the stop keep their stored masks, and the stored masks stay those of one
uninterrupted SAM 2 session fed the same actions (tests/worker/reference.py), also after
a takeover that replays the log.
"""

import numpy as np
from django.core.files.storage import default_storage

from backend.common import rle
from backend.events.models import Event
from backend.masklets.enums import ActionKind, FrameOrigin
from backend.masklets.models import MaskletFrame, SessionAction
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory
from tests.worker import reference
from tests.worker.test_loop_exact import _click, make_clip_video
from worker import engine, states


def _propagate(client, video, masklets, start: int, **options):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/videos/{video.pk}/propagations/create/",
        {"masklet_ids": [m.pk for m in masklets], "start_frame": start, **options},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _job(client, job_id: int) -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/propagations/{job_id}/").json()


def _check(video) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.in_use:
        return reference.compare(engine.get_predictor(), video)


def _stored(masklet, frame: int) -> MaskletFrame:  # type: ignore[no-untyped-def]
    return MaskletFrame.objects.get(masklet=masklet, frame_index=frame)


def _clicked_and_propagated(team: Team, capture, frame: int, direction: str):  # type: ignore[no-untyped-def]
    """A 12-frame video with one masklet clicked on ``frame`` and propagated from there."""
    video = make_clip_video(team, frames=12)
    masklet = MaskletFactory(video=video, task=None, created_by=team.manager)
    client = client_for(team.manager)
    states.drop_all()
    _click(client, masklet, frame, [[0.5, 0.5, 1]])
    with capture(execute=True):
        _propagate(client, video, [masklet], frame, direction=direction)
    return video, masklet, client


def test_a_pass_stops_where_the_masks_agree_again_and_keeps_the_frames_after(
    team: Team, django_capture_on_commit_callbacks
):
    # given: a click on frame 0 propagated to the end, then the stored mask of frame 2
    # replaced by one SAM 2 would not give (so frame 2 disagrees)
    video, masklet, client = _clicked_and_propagated(
        team, django_capture_on_commit_callbacks, 0, "forward"
    )
    other = np.zeros((video.height, video.width), np.uint8)
    other[:5, :5] = 1
    MaskletFrame.objects.filter(masklet=masklet, frame_index=2).update(rle=dict(rle.encode(other)))
    after_stop = {f: _stored(masklet, f).updated_at for f in range(6, video.frame_count)}
    # when: re-propagated from frame 0 until agreement
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _propagate(client, video, [masklet], 0, until_agreement=True)
    job = _job(client, job_id)
    # then: frame 1 agreed, frame 2 broke the streak, frames 3-5 agreed: stopped after 5
    assert job["status"] == "done"
    assert job["until_agreement"] is True
    stop = {"last": 5, "reason": "agreement", "at": 5}
    assert job["stops"] == [
        {"reverse": False, "last": 5, "reason": "agreement", "objects": {str(masklet.pk): stop}}
    ]
    assert rle.decode(_stored(masklet, 2).rle).tolist() != other.tolist()  # recomputed
    # (the frames after the stop were not written again)
    assert {f: _stored(masklet, f).updated_at for f in after_stop} == after_stop
    # the log holds exactly the frames tracked, with the stop noted
    run = SessionAction.objects.filter(video=video, kind=ActionKind.PROPAGATE).last()
    assert (run.frame_index, run.frame_last, run.payload["stop"]["reason"]) == (0, 5, "agreement")
    done = Event.objects.filter(video=video, kind="propagation.done").last()
    assert done.payload["stops"] == job["stops"]
    # and every stored mask is the one an uninterrupted session gives for the same actions
    assert _check(video)["frames"] == video.frame_count


def test_each_object_stops_before_its_next_person_made_frame_and_replay_is_exact(
    team: Team, django_capture_on_commit_callbacks
):
    video = make_clip_video(team, frames=10)
    first = MaskletFactory(video=video, task=None, created_by=team.manager)
    second = MaskletFactory(video=video, task=None, created_by=team.manager)
    client = client_for(team.manager)
    states.drop_all()
    # given: two objects clicked on frame 0 and propagated, then a click on the first
    # object's frame 2 and a correction of both on frame 0
    _click(client, first, 0, [[0.3, 0.5, 1]])
    _click(client, second, 0, [[0.7, 0.5, 1]])
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, video, [first, second], 0)
    _click(client, first, 2, [[0.35, 0.5, 1]], clear_old=False)
    # when: re-propagated from frame 0 until agreement
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _propagate(client, video, [first, second], 0, until_agreement=True)
    job = _job(client, job_id)
    # then: the first object stopped before its clicked frame 2; the second went on alone
    # until its masks agreed on frames 1-3
    objects = job["stops"][0]["objects"]
    assert objects[str(first.pk)] == {"last": 1, "reason": "person_made", "at": 2}
    assert objects[str(second.pk)] == {"last": 3, "reason": "agreement", "at": 3}
    assert (job["stops"][0]["last"], job["stops"][0]["reason"]) == (3, "agreement")
    assert _stored(first, 2).origin == FrameOrigin.CLICK
    runs = list(
        SessionAction.objects.filter(video=video, kind=ActionKind.PROPAGATE)
        .order_by("seq")
        .values_list("frame_index", "frame_last", "object_ids")
    )
    assert runs[-2:] == [(0, 1, [first.pk, second.pk]), (2, 3, [second.pk])]
    assert _check(video)["frames"] == 2 * video.frame_count
    # when: another worker takes over by replaying the whole log, and a click follows
    states.drop_all()
    default_storage.delete(f"sam2state/{video.pk}/head.json")
    answer = _click(client, second, 6, [[0.7, 0.4, 0]], clear_old=False)
    # then: the replayed state gives the reference's masks
    assert answer["mask"]["loaded"] == "replay"
    assert _check(video)["frames"] == 2 * video.frame_count


def test_both_directions_stop_each_on_their_own(team: Team, django_capture_on_commit_callbacks):
    # given: a click on frame 6 propagated both ways
    video, masklet, client = _clicked_and_propagated(
        team, django_capture_on_commit_callbacks, 6, "both"
    )
    # when: the same, until agreement
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _propagate(client, video, [masklet], 6, direction="both", until_agreement=True)
    job = _job(client, job_id)
    # then: each pass re-tracked its 3 frames after the start and stopped: they agree
    assert [(s["reverse"], s["last"], s["reason"]) for s in job["stops"]] == [
        (False, 9, "agreement"),
        (True, 3, "agreement"),
    ]
    assert _check(video)["frames"] == video.frame_count


def test_until_agreement_must_be_a_boolean(team: Team):
    video = make_clip_video(team, frames=4)
    masklet = MaskletFactory(video=video, task=None, created_by=team.manager)
    client = client_for(team.manager)
    response = client.post(
        f"/api/v1/videos/{video.pk}/propagations/create/",
        {"masklet_ids": [masklet.pk], "start_frame": 0, "until_agreement": "yes"},
        format="json",
    )
    assert response.status_code == 400
    assert "until_agreement" in response.json()["extra"]["fields"]
