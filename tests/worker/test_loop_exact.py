"""SAM 2 in the loop behaves as ONE uninterrupted SAM 2 session (Celery eager, one process).

An annotator's actions go through the REST API (clicks, propagation, a negative click on a
propagated frame, a brush edit and a propagation from it, undo, a masklet started from an
imported mask, more videos than the worker keeps in RAM); after each step every stored mask
SAM 2 made is compared with one engine session fed the video's action log in order with all
outputs retained (tests/worker/reference.py).
"""

import cv2
import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from backend.common import rle
from backend.masklets.enums import ActionKind, ActionState
from backend.masklets.models import Masklet, MaskletFrame, SessionAction
from backend.videos.enums import VideoStatus
from backend.videos.models import Video
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory
from tests.worker import reference
from worker import engine, states

CLIP = "tests/fixtures/videos/21_biker.mp4"


def make_clip_video(team: Team, frames: int = 16, size: tuple[int, int] = (96, 64)) -> Video:
    """A READY video whose frames are the first frames of a real clip, resized."""
    video = Video.objects.create(
        project=team.project,
        name="biker.mp4",
        file="videos/biker/v.mp4",
        frames_prefix=f"frames/biker-{team.project.pk}-{frames}-{Video.objects.count()}",
        checksum="0" * 64,
        size_bytes=1,
        width=size[0],
        height=size[1],
        fps=24.0,
        frame_count=frames,
        status=VideoStatus.READY,
        progress=1.0,
    )
    capture = cv2.VideoCapture(CLIP)
    for index in range(frames):
        ok, image = capture.read()
        assert ok, f"{CLIP} has fewer than {frames} frames"
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", image)
        default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
    capture.release()
    return video


@pytest.fixture
def clip(team: Team) -> tuple[Video, Masklet]:
    video = make_clip_video(team)
    masklet = MaskletFactory(video=video, task=None, created_by=team.manager)
    return video, masklet


def _click(client, masklet: Masklet, frame: int, points, clear_old: bool = True):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/masklets/{masklet.pk}/prompts/add/",
        {"frame_index": frame, "points": points, "clear_old": clear_old},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _propagate(client, video: Video, masklets, start: int, direction: str = "forward"):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/api/v1/videos/{video.pk}/propagations/create/",
        {"masklet_ids": [m.pk for m in masklets], "start_frame": start, "direction": direction},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _version(client, masklet: Masklet) -> int:
    return client.get(f"/api/v1/masklets/{masklet.pk}/").json()["version"]


def _check(video: Video) -> dict[str, int]:
    with engine.in_use:
        return reference.compare(engine.get_predictor(), video)


def test_correction_on_a_propagated_frame_is_decoded_with_its_memories(
    team: Team, clip, django_capture_on_commit_callbacks
):
    video, masklet = clip
    client = client_for(team.manager)
    states.drop_all()
    # given: a click on frame 0, propagated to the end
    _click(client, masklet, 0, [[0.5, 0.5, 1]])
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, video, [masklet], 0)
    propagated = rle.decode(MaskletFrame.objects.get(masklet=masklet, frame_index=5).rle)
    # when: a negative click on propagated frame 5, then propagation from there
    answer = _click(client, masklet, 5, [[0.3, 0.4, 0]], clear_old=False)
    # then: the click was decoded on the state (mask prior and memories), as one session does
    assert _check(video)["frames"] == video.frame_count
    # (the answer is not what the click alone would give on an untracked frame)
    alone = _answer_on_fresh_state(video, masklet, 5, [[0.3, 0.4, 0]])
    assert rle.decode(answer["mask"]["rle"]).tolist() != alone.tolist() or not propagated.any()
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, video, [masklet], 5)
    assert _check(video)["frames"] == video.frame_count


def _answer_on_fresh_state(video: Video, masklet: Masklet, frame: int, points) -> np.ndarray:  # type: ignore[no-untyped-def]
    with engine.in_use:
        session = engine.get_predictor().start_session(
            reference.StorageFrames(video), retain_all_outputs=True
        )
        try:
            w, h = video.width, video.height
            fm = session.add_prompt(
                frame,
                masklet.pk,
                points=[[x * w, y * h] for x, y, _ in points],
                labels=[label for _, _, label in points],
            )
            return (fm.mask_logits[0] > 0).numpy().astype(np.uint8)
        finally:
            session.close()


def test_brush_edits_condition_the_next_propagation_and_undo_takes_them_back(
    team: Team, clip, django_capture_on_commit_callbacks
):
    video, masklet = clip
    client = client_for(team.manager)
    states.drop_all()
    _click(client, masklet, 2, [[0.5, 0.5, 1]])
    # given: a brush edit on frame 6 (a square), then propagation from it both ways
    painted = np.zeros((video.height, video.width), np.uint8)
    painted[10:40, 20:60] = 1
    written = client.put(
        f"/api/v1/masklets/{masklet.pk}/frames/",
        {
            "version": _version(client, masklet),
            "frames": [{"frame_index": 6, "rle": rle.encode(painted)}],
        },
        format="json",
    ).json()
    assert written["edit_actions"] == {"6": 2}
    with django_capture_on_commit_callbacks(execute=True):
        _propagate(client, video, [masklet], 6, direction="both")
    assert _check(video)["frames"] == video.frame_count - 1  # frame 6 stays the painted mask
    assert MaskletFrame.objects.get(masklet=masklet, frame_index=6).rle == rle.encode(painted)
    # when: a click on frame 12, undone; then another click there
    first = _click(client, masklet, 12, [[0.6, 0.6, 1]])
    undone = client.post(
        f"/api/v1/prompts/{first['prompt']['id']}/undo/",
        {"version": first["mask"]["version"]},
        format="json",
    )
    assert undone.status_code == 200, undone.content
    _click(client, masklet, 12, [[0.2, 0.7, 1]])
    # then: as if the undone click had never been given
    assert SessionAction.objects.get(video=video, seq=first["mask"]["seq"]).state == (
        ActionState.UNDONE
    )
    assert _check(video)["frames"] == video.frame_count - 1


def test_a_masklet_started_from_an_imported_mask_propagates_from_it(
    team: Team, clip, django_capture_on_commit_callbacks
):
    video, masklet = clip
    client = client_for(team.manager)
    states.drop_all()
    imported = np.zeros((video.height, video.width), np.uint8)
    imported[20:50, 30:70] = 1
    from backend.masklets.services import masklet_frames_write

    masklet_frames_write(
        masklet=masklet,
        actor=team.manager,
        version=masklet.version,
        frames=[{"frame_index": 3, "rle": dict(rle.encode(imported))}],
        default_origin="imported",
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = _propagate(client, video, [masklet], 3)
    assert client.get(f"/api/v1/propagations/{job['id']}/").json()["status"] == "done"
    start = SessionAction.objects.get(video=video, kind=ActionKind.MASK)
    assert (start.object_id, start.frame_index, start.payload["start"]) == (masklet.pk, 3, True)
    assert _check(video)["frames"] == video.frame_count - 3 - 1  # after the imported frame


def test_more_videos_than_the_worker_keeps_load_snapshots_not_replays(
    team: Team, settings, django_capture_on_commit_callbacks
):
    settings.SAM2_MAX_SESSIONS = 1
    client = client_for(team.manager)
    states.drop_all()
    clips = []
    for _ in range(2):
        video = make_clip_video(team, frames=8)
        clips.append((video, MaskletFactory(video=video, task=None, created_by=team.manager)))
    # given: each video clicked and propagated, in turn (each evicts the other)
    for video, masklet in clips:
        _click(client, masklet, 0, [[0.5, 0.5, 1]])
        with django_capture_on_commit_callbacks(execute=True):
            _propagate(client, video, [masklet], 0)
    # when: corrections alternate between the videos
    loaded = []
    for frame in (4, 5):
        for _video, masklet in clips:
            answer = _click(client, masklet, frame, [[0.4, 0.4, 0]], clear_old=False)
            loaded.append(answer["mask"]["loaded"])
    # then: every state came back from its snapshot, and answers are exact
    assert loaded == ["snapshot"] * 4
    for video, _masklet in clips:
        assert _check(video)["frames"] == video.frame_count


def test_a_click_applied_by_a_propagation_step_is_answered_after_its_video_was_evicted(
    team: Team, settings
):
    """A propagation step of the video may apply a click's log entry before the click's
    turn comes, and other videos may push the video's state out of RAM meanwhile: the click
    still gets the answer SAM 2 computed for it."""
    from backend.masklets.services import prompt_add
    from worker import clicks

    settings.SAM2_MAX_SESSIONS = 1
    states.drop_all()
    video, other = make_clip_video(team, frames=4), make_clip_video(team, frames=4)
    masklet = MaskletFactory(video=video, task=None, created_by=team.manager)
    # given: the click's entry in the log, applied by someone else (a propagation step
    # catching the state up), then the state evicted by another video's
    prompt = prompt_add(
        masklet=masklet, author=team.manager, frame_index=0, points=[[0.5, 0.5, 1]], box=None
    )
    seq = SessionAction.objects.get(prompt=prompt).seq
    with engine.in_use:
        states.catch_up(states.get(video.pk))
        states.get(other.pk)
    assert states.resident_state(video.pk) is None
    # when: the click's own request is served
    answer = clicks.answer({"video": video.pk, "seq": seq, "deadline": None})
    # then: it is SAM 2's mask for the click, as one session gives it
    assert "error" not in answer, answer
    assert answer["loaded"] == "snapshot"
    with engine.in_use:
        ref = reference.replay(engine.get_predictor(), video)[(masklet.pk, 0)]
    mask = rle.decode(answer["rle"]).astype(bool)
    want = (ref.logits > 0) if ref.score > 0 else np.zeros_like(mask)
    settled = np.abs(ref.logits) >= reference.NEAR_ZERO
    assert np.array_equal(mask[settled], want[settled])
