"""The video's SAM 2 action log: what people do is appended in order; undo, claim, abandon."""

import threading

import numpy as np
import pytest
from django.db import connection, transaction

from backend.common import rle
from backend.common.exceptions import ApplicationError
from backend.masklets import actions, services
from backend.masklets.enums import ActionKind, ActionState, FrameOrigin
from backend.masklets.models import MaskletFrame, Prompt, SessionAction
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory


def _mask(team: Team, x0: int, x1: int) -> dict:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[5:20, x0:x1] = 1
    return dict(rle.encode(mask))


def _prompt(team: Team, frame: int = 0, masklet=None) -> Prompt:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return services.prompt_add(
            masklet=masklet or team.masklet,
            author=team.annotator,
            frame_index=frame,
            points=[[0.5, 0.5, 1]],
            box=None,
        )


def _entries(team: Team) -> list[tuple[int, str, str, int | None]]:
    return list(
        SessionAction.objects.filter(video=team.video)
        .order_by("seq")
        .values_list("seq", "kind", "state", "object_id")
    )


def test_prompts_edits_and_deletions_are_appended_in_order(team: Team):
    # given
    other = MaskletFactory(video=team.video, task=team.task, created_by=team.annotator)
    client = client_for(team.annotator)
    # when: a click, an edit of two frames, a click on another object, a deletion
    _prompt(team, 0)
    written = client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {
            "version": team.masklet.version,
            "frames": [
                {"frame_index": 1, "rle": _mask(team, 0, 10)},
                {"frame_index": 2, "rle": _mask(team, 5, 15)},
            ],
        },
        format="json",
    )
    _prompt(team, 3, masklet=other)
    other.refresh_from_db()
    deleted = client.delete(f"/api/v1/masklets/{other.pk}/?version={other.version}")
    # then
    assert written.status_code == 200, written.content
    assert deleted.status_code == 204, deleted.content
    assert written.json()["edit_actions"] == {"1": 2, "2": 3}
    m, o = team.masklet.pk, other.pk
    assert _entries(team) == [
        (1, ActionKind.PROMPT, ActionState.PENDING, m),
        (2, ActionKind.MASK, ActionState.PENDING, m),
        (3, ActionKind.MASK, ActionState.PENDING, m),
        (4, ActionKind.PROMPT, ActionState.PENDING, o),
        (5, ActionKind.REMOVE, ActionState.PENDING, o),
    ]
    mask_entry = SessionAction.objects.get(video=team.video, seq=2)
    assert mask_entry.payload == {"rle": _mask(team, 0, 10), "before": None}
    assert mask_entry.frame_index == 1


def test_frames_a_person_did_not_edit_are_not_prompts(team: Team):
    # when: masks stored by SAM 2 or an import
    with transaction.atomic():
        services.masklet_frames_write(
            masklet=team.masklet,
            actor=team.manager,
            version=team.masklet.version,
            frames=[{"frame_index": 0, "rle": _mask(team, 0, 10)}],
            default_origin=FrameOrigin.IMPORTED,
        )
    # then
    assert _entries(team) == []


def test_each_video_has_its_own_numbering(team: Team):
    from tests.backend.factories import make_ready_video

    other_video = make_ready_video(team.project)
    other = MaskletFactory(video=other_video, task=None, created_by=team.manager)
    _prompt(team, 0)
    _prompt(team, 0, masklet=other)
    _prompt(team, 1)
    assert [e[0] for e in _entries(team)] == [1, 2]
    assert list(SessionAction.objects.filter(video=other_video).values_list("seq", flat=True)) == [
        1
    ]


def test_undo_of_a_click_takes_it_out_of_the_state_and_puts_the_mask_back(team: Team):
    # given: frame 0 had a propagated mask, then a click replaced it
    before = _mask(team, 0, 10)
    MaskletFrame.objects.create(
        masklet=team.masklet,
        frame_index=0,
        rle=before,
        area=150,
        bbox=[0, 5, 10, 15],
        origin=FrameOrigin.PROPAGATED,
        score=2.5,
    )
    prompt = _prompt(team, 0)
    action = actions.action_of_prompt(prompt=prompt)
    services.prompt_mask_save(prompt=prompt, action=action, rle=_mask(team, 20, 30), score=1.0)
    team.masklet.refresh_from_db()
    # when
    response = client_for(team.annotator).post(
        f"/api/v1/prompts/{prompt.pk}/undo/", {"version": team.masklet.version}, format="json"
    )
    # then
    assert response.status_code == 200, response.content
    assert not Prompt.objects.filter(pk=prompt.pk).exists()
    frame = MaskletFrame.objects.get(masklet=team.masklet, frame_index=0)
    assert (frame.rle, frame.origin, frame.score) == (before, FrameOrigin.PROPAGATED, 2.5)
    assert _entries(team) == [
        (1, ActionKind.PROMPT, ActionState.UNDONE, team.masklet.pk),
        (2, ActionKind.UNDO, ActionState.APPLIED, team.masklet.pk),
    ]
    assert SessionAction.objects.get(seq=2, video=team.video).payload == {"target": 1}


def test_undo_of_an_edit_restores_the_frame_it_had_no_mask_on(team: Team):
    client = client_for(team.annotator)
    written = client.put(
        f"/api/v1/masklets/{team.masklet.pk}/frames/",
        {"version": 1, "frames": [{"frame_index": 2, "rle": _mask(team, 0, 10)}]},
        format="json",
    ).json()
    seq = written["edit_actions"]["2"]
    response = client.post(
        f"/api/v1/masklets/{team.masklet.pk}/edits/{seq}/undo/",
        {"version": written["version"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert not MaskletFrame.objects.filter(masklet=team.masklet, frame_index=2).exists()
    assert SessionAction.objects.get(video=team.video, seq=seq).state == ActionState.UNDONE


def test_undo_is_refused_once_sam2_built_on_the_change(team: Team):
    # given: a click, then a propagation run that tracked the object
    prompt = _prompt(team, 0)
    with transaction.atomic():
        actions.action_propagate_frame(
            video_id=team.video.pk,
            current=None,
            frame_index=1,
            reverse=False,
            object_ids=[team.masklet.pk],
            job_id=None,
        )
    # when
    response = client_for(team.annotator).post(
        f"/api/v1/prompts/{prompt.pk}/undo/", {"version": team.masklet.version}, format="json"
    )
    # then
    assert response.status_code == 409
    assert "cannot be undone" in response.json()["message"]
    assert Prompt.objects.filter(pk=prompt.pk).exists()


def test_undo_of_an_earlier_change_of_another_object_is_allowed(team: Team):
    other = MaskletFactory(video=team.video, task=team.task, created_by=team.annotator)
    first = _prompt(team, 0)
    _prompt(team, 1, masklet=other)
    with transaction.atomic():
        actions.action_undo(action=actions.action_of_prompt(prompt=first), author=None)
    assert _entries(team)[-1][1:] == (ActionKind.UNDO, ActionState.APPLIED, team.masklet.pk)


def test_claim_and_abandon_exclude_each_other(team: Team):
    a = actions.action_of_prompt(prompt=_prompt(team, 0))
    b = actions.action_of_prompt(prompt=_prompt(team, 1))
    assert actions.action_claim(action_id=a.pk) is True
    assert actions.action_abandon(action_id=a.pk) is False  # applied: too late to give up
    assert actions.action_claim(action_id=a.pk) is True  # claiming twice is harmless
    assert actions.action_abandon(action_id=b.pk) is True
    assert actions.action_claim(action_id=b.pk) is False  # the web gave up first


def test_a_propagation_run_extends_its_entry_while_it_is_the_last(team: Team):
    def frame(current, index):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            return actions.action_propagate_frame(
                video_id=team.video.pk,
                current=current,
                frame_index=index,
                reverse=False,
                object_ids=[team.masklet.pk],
                job_id=7,
            )

    _prompt(team, 0)
    run = frame(None, 1)
    run = frame(run, 2)
    assert (run.seq, run.frame_index, run.frame_last) == (2, 1, 2)
    _prompt(team, 3)  # a click while the run goes on
    run = frame(run, 3)
    assert (run.seq, run.frame_index, run.frame_last) == (4, 3, 3)
    assert [
        (e.seq, e.kind, e.frame_index, e.frame_last)
        for e in actions.action_list_after(video_id=team.video.pk, seq=0)
    ] == [
        (1, ActionKind.PROMPT, 0, None),
        (2, ActionKind.PROPAGATE, 1, 2),
        (3, ActionKind.PROMPT, 3, None),
        (4, ActionKind.PROPAGATE, 3, 3),
    ]
    assert SessionAction.objects.get(seq=2, video=team.video).payload == {"job": 7}


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused(team: Team):
    with pytest.raises(RuntimeError):
        actions.action_append(video_id=team.video.pk, kind=ActionKind.REMOVE, object_id=1)


def test_undo_of_a_propagation_is_refused(team: Team):
    with transaction.atomic():
        run = actions.action_propagate_frame(
            video_id=team.video.pk,
            current=None,
            frame_index=0,
            reverse=False,
            object_ids=[team.masklet.pk],
            job_id=None,
        )
    with pytest.raises(ApplicationError) as caught:
        actions.action_undo(action=run, author=None)
    assert caught.value.status == 409


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_are_numbered_in_commit_order(team: Team):
    # given: several writers appending to one video's log at once
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises every write transaction; the race needs PostgreSQL")
    errors: list[BaseException] = []
    # one object each: a masklet's own prompts are serialised by its row lock already
    masklets = [
        MaskletFactory(video=team.video, task=team.task, created_by=team.annotator)
        for _ in range(4)
    ]

    def writer(n: int) -> None:
        try:
            for i in range(5):
                _prompt(team, (n + i) % team.video.frame_count, masklet=masklets[n])
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then: 20 entries numbered 1..20, each seq once, ids rising with seq (commit order)
    assert errors == []
    rows = list(
        SessionAction.objects.filter(video=team.video).order_by("seq").values_list("seq", "id")
    )
    assert [seq for seq, _ in rows] == list(range(1, 21))
    assert [pk for _, pk in rows] == sorted(pk for _, pk in rows)


def test_deleting_a_video_deletes_its_sam2_state_files(
    team: Team, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from backend.videos.services import video_delete

    folder = actions.state_folder(team.video.pk)
    default_storage.save(f"{folder}/head.json", ContentFile(b"{}"))
    default_storage.save(f"{folder}/outputs/abc", ContentFile(b"x"))
    with django_capture_on_commit_callbacks(execute=True):
        video_delete(video=team.video, actor=team.manager)
    assert not default_storage.exists(f"{folder}/head.json")
    assert not default_storage.exists(f"{folder}/outputs/abc")
