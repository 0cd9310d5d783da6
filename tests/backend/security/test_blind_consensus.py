"""Blind consensus: an annotator of a consensus project never learns of another annotator's
masklets, through any endpoint (events over REST and websocket, lists, jobs, exports,
dashboards, errors that would tell "exists" from "does not")."""

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import transaction

from backend.common import rle
from backend.events.models import Event
from backend.events.routing import websocket_urlpatterns
from backend.events.selectors import EventVisibility
from backend.events.services import events_sequence
from backend.jobs import dispatch
from backend.jobs.services import WorkerIdentity, job_claim
from backend.masklets import services as masklet_services
from backend.masklets.models import Masklet, Prompt, PropagationJob
from backend.masklets.propagation import (
    PropagatedMask,
    propagation_frames_store,
    propagation_job_create,
)
from backend.quality.services import consensus_resolve, ground_truth_mark
from backend.reviews.models import ReviewComment
from tests.backend.conftest import Team, client_for
from tests.backend.factories import TaskFactory

SECRET = "their-secret-name"
WORKER = WorkerIdentity(name="gpu@box", host="box", pid=7, queue="gpu")


@dataclass
class Blind:
    team: Team
    own: Masklet  # the annotator's
    theirs: Masklet  # other_annotator's, on the same video
    theirs_job: PropagationJob
    own_job: PropagationJob


def _mask(team: Team, x0: int) -> dict[str, Any]:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[4:20, x0 : x0 + 10] = 1
    return rle.encode(mask)


def _history(team: Team) -> Blind:
    """Both annotators label the video; what they do lands in the event log through the
    services, as in real use."""
    team.project.consensus_k = 2
    team.project.save()
    other_task = TaskFactory(project=team.project, video=team.video, assignee=team.other_annotator)
    own = team.masklet
    theirs = masklet_services.masklet_create(
        video=team.video,
        author=team.other_annotator,
        role="annotator",
        task=other_task,
        name=SECRET,
    )
    for masklet, author, x0 in ((own, team.annotator, 2), (theirs, team.other_annotator, 30)):
        masklet.refresh_from_db()
        masklet_services.masklet_frames_write(
            masklet=masklet,
            actor=author,
            version=masklet.version,
            frames=[{"frame_index": 0, "rle": _mask(team, x0)}],
        )
        masklet.refresh_from_db()
        masklet_services.masklet_update(
            masklet=masklet, actor=author, version=masklet.version, data={"name": masklet.name}
        )
        masklet_services.prompt_add(
            masklet=masklet, author=author, frame_index=1, points=[[0.5, 0.5, 1]], box=None
        )
    jobs = []
    for masklet, author in ((theirs, team.other_annotator), (own, team.annotator)):
        job = propagation_job_create(
            video=team.video, author=author, masklets=[masklet], start_frame=0, direction="forward"
        )
        job = job_claim(job_id=job.pk, worker=WORKER)
        encoded = _mask(team, 40)
        propagation_frames_store(
            job=job,
            masks=[
                PropagatedMask(masklet.pk, 2, encoded, rle.area(encoded), rle.bbox(encoded), 0.9)
            ],
            frames_done=1,
        )
        jobs.append(job)
    ReviewComment.objects.create(masklet=theirs, author=team.reviewer, frame_index=0, text="x")
    ground_truth_mark(video=team.video, actor=team.manager, masklets=[theirs.pk])
    ground_truth_mark(video=team.video, actor=team.manager, masklets=[])
    return Blind(team=team, own=own, theirs=theirs, theirs_job=jobs[0], own_job=jobs[1])


@pytest.fixture
def blind(team: Team) -> Blind:
    return _history(team)


def _masklets_named(payload: dict[str, Any]) -> set[int]:
    named = set()
    for key in ("masklet", "chosen"):
        if isinstance(payload.get(key), int):
            named.add(payload[key])
    for key in ("masklets", "discarded"):
        named.update(payload.get(key) or [])
    for key in ("frames", "versions"):
        if isinstance(payload.get(key), dict):
            named.update(int(k) for k in payload[key])
    return named


def _all_events(user, blind: Blind) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    events_sequence()  # what a commit does (these tests run inside one transaction)
    client = client_for(user)
    url = f"/api/v1/projects/{blind.team.project.pk}/events/?page_size=3"
    events, text = [], ""
    while url:
        response = client.get(url)
        assert response.status_code == 200
        text += response.content.decode()
        events += response.json()["results"]
        url = response.json()["next"]
    return events, text


def test_events_over_rest_hide_the_other_annotators_masklets(blind: Blind):
    # when
    events, text = _all_events(blind.team.annotator, blind)
    # then: nothing names their masklet or their job; their name appears nowhere
    named = set().union(*(_masklets_named(e["payload"]) for e in events))
    assert blind.theirs.pk not in named
    assert blind.own.pk in named
    assert SECRET not in text
    jobs = {e["payload"].get("job") for e in events if e["kind"].startswith("propagation.")}
    assert jobs == {blind.own_job.pk}
    # and the page count agrees with what is shown (the latest-id lookup relies on it)
    first = client_for(blind.team.annotator).get(
        f"/api/v1/projects/{blind.team.project.pk}/events/?page_size=1"
    )
    assert first.json()["count"] == len(events)


@pytest.mark.parametrize("who", ["manager", "reviewer", "other_annotator"])
def test_others_see_what_is_theirs_to_see(blind: Blind, who: str):
    events, text = _all_events(getattr(blind.team, who), blind)
    named = set().union(*(_masklets_named(e["payload"]) for e in events))
    assert blind.theirs.pk in named
    if who == "other_annotator":
        assert blind.own.pk not in named  # blind the other way round too
    else:
        assert blind.own.pk in named


def test_lists_of_masklets_in_events_are_cut_to_the_readers_own():
    visibility = EventVisibility(user_id=1, own_masklets=frozenset({5}), own_jobs=frozenset({9}))
    consensus = visibility.redact(
        Event(kind="masklet.consensus", payload={"chosen": 6, "discarded": [5, 7]})
    )
    assert consensus.payload == {"chosen": None, "discarded": [5]}
    imported = visibility.redact(Event(kind="masklets.imported", payload={"masklets": [5, 6]}))
    assert imported.payload["masklets"] == [5]
    frames = visibility.redact(
        Event(
            kind="propagation.frames",
            payload={"job": 9, "frames": {"5": [1], "6": [1]}, "versions": {"5": 2, "6": 3}},
        )
    )
    assert frames.payload["frames"] == {"5": [1]}
    assert frames.payload["versions"] == {"5": 2}


def test_deletion_of_their_own_masklet_still_reaches_the_annotator(blind: Blind):
    # given: a manager deletes one masklet of each annotator
    team = blind.team
    own_id = blind.own.pk
    for masklet in (blind.own, blind.theirs):
        masklet.refresh_from_db()
        masklet_services.masklet_delete(
            masklet=masklet, actor=team.manager, version=masklet.version
        )
    # when
    events, _ = _all_events(team.annotator, blind)
    # then: they hear of theirs, not of the other's
    deleted = [e["payload"]["masklet"] for e in events if e["kind"] == "masklet.deleted"]
    assert deleted == [own_id]


def test_consensus_resolution_names_only_the_readers_masklet(blind: Blind):
    team = blind.team
    consensus_resolve(
        video=team.video, actor=team.manager, chosen=blind.theirs.pk, discard=[blind.own.pk]
    )
    events, _ = _all_events(team.annotator, blind)
    resolved = [e["payload"] for e in events if e["kind"] == "masklet.consensus"]
    assert resolved == [{"chosen": None, "discarded": [blind.own.pk]}]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_events_over_the_websocket_hide_the_other_annotators_masklets(
    team: Team, monkeypatch
):
    # given: the history (its jobs stay queued: no worker runs them), and the annotator's
    # socket reading it from the start
    monkeypatch.setattr(dispatch, "_send", lambda task, *, job_id, queue: None)
    blind = await database_sync_to_async(_history)(team)
    socket = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/projects/{team.project.pk}/events/?after=0"
    )
    socket.scope["user"] = team.annotator
    assert (await socket.connect())[0]
    backlog = (await socket.receive_json_from(timeout=10))["events"]
    # when: the other annotator draws live
    theirs = await Masklet.objects.aget(pk=blind.theirs.pk)
    await database_sync_to_async(masklet_services.masklet_frames_write)(
        masklet=theirs,
        actor=team.other_annotator,
        version=theirs.version,
        frames=[{"frame_index": 3, "rle": _mask(team, 8)}],
    )
    await database_sync_to_async(masklet_services.prompt_add)(
        masklet=await Masklet.objects.select_related("video").aget(pk=blind.own.pk),
        author=team.annotator,
        frame_index=2,
        points=[[0.2, 0.2, 1]],
        box=None,
    )
    live = (await socket.receive_json_from(timeout=10))["events"]
    await socket.disconnect()
    # then: the backlog and the live events are theirs only
    named = set().union(*(_masklets_named(e["payload"]) for e in backlog + live))
    assert blind.theirs.pk not in named
    assert SECRET not in json.dumps(backlog + live)
    assert [e["kind"] for e in live] == ["prompt.added"]


def test_lists_and_reads_never_show_the_other_annotators_masklets(blind: Blind):
    team, theirs = blind.team, blind.theirs
    client = client_for(team.annotator)
    masklets = client.get(f"/api/v1/videos/{team.video.pk}/masklets/").json()["results"]
    assert [m["id"] for m in masklets] == [blind.own.pk]
    project_masklets = client.get(f"/api/v1/projects/{team.project.pk}/masklets/").json()
    assert [m["id"] for m in project_masklets["results"]] == [blind.own.pk]
    jobs = client.get(f"/api/v1/videos/{team.video.pk}/propagations/").json()["results"]
    assert [(j["id"], j["masklets"]) for j in jobs] == [(blind.own_job.pk, [blind.own.pk])]
    for path in (
        f"/api/v1/masklets/{theirs.pk}/",
        f"/api/v1/masklets/{theirs.pk}/frames/",
        f"/api/v1/masklets/{theirs.pk}/prompts/",
        f"/api/v1/masklets/{theirs.pk}/history/",
        f"/api/v1/masklets/{theirs.pk}/reviews/",
        f"/api/v1/masklets/{theirs.pk}/comments/",
        f"/api/v1/propagations/{blind.theirs_job.pk}/",
        f"/api/v1/jobs/{blind.theirs_job.pk}/",
    ):
        assert client.get(path).status_code == 404, path


def test_writes_on_the_other_annotators_masklets_answer_as_if_they_did_not_exist(blind: Blind):
    team, theirs = blind.team, blind.theirs
    client = client_for(team.annotator)
    prompt = Prompt.objects.filter(masklet=theirs).first()
    comment = ReviewComment.objects.get(masklet=theirs)
    not_found = {
        "rename": client.patch(
            f"/api/v1/masklets/{theirs.pk}/", {"version": 9, "name": "x"}, format="json"
        ),
        "delete": client.delete(f"/api/v1/masklets/{theirs.pk}/?version=9"),
        "write": client.put(f"/api/v1/masklets/{theirs.pk}/frames/", {"version": 9}, format="json"),
        "click": client.post(
            f"/api/v1/masklets/{theirs.pk}/prompts/add/",
            {"frame_index": 0, "points": [[0.5, 0.5, 1]]},
            format="json",
        ),
        "undo": client.post(f"/api/v1/prompts/{prompt.pk}/undo/", {"version": 9}, format="json"),
        "submit": client.post(
            f"/api/v1/masklets/{theirs.pk}/submit/", {"version": 9}, format="json"
        ),
        "resolve comment": client.post(
            f"/api/v1/masklets/{theirs.pk}/comments/{comment.pk}/resolve/", {}, format="json"
        ),
        "cancel job": client.post(f"/api/v1/propagations/{blind.theirs_job.pk}/cancel/"),
    }
    assert {name: r.status_code for name, r in not_found.items()} == dict.fromkeys(not_found, 404)
    propagate = client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [theirs.pk], "start_frame": 1},
        format="json",
    )
    missing = client.post(
        f"/api/v1/videos/{team.video.pk}/propagations/create/",
        {"masklet_ids": [987654], "start_frame": 1},
        format="json",
    )
    assert propagate.status_code == missing.status_code == 400
    assert propagate.json()["message"] == missing.json()["message"]


def test_quality_numbers_and_exports_are_not_for_blind_annotators(blind: Blind):
    team = blind.team
    with transaction.atomic():
        export = client_for(team.manager).post(
            f"/api/v1/projects/{team.project.pk}/exports/create/",
            {"format": "sav", "include_unaccepted": True},
            format="json",
        )
    assert export.status_code == 201
    job_id = export.json()["id"]
    annotator = client_for(team.annotator)
    for path in (
        f"/api/v1/projects/{team.project.pk}/dashboard/",
        f"/api/v1/projects/{team.project.pk}/dashboard.csv",
        f"/api/v1/videos/{team.video.pk}/consensus/",
        f"/api/v1/videos/{team.video.pk}/ground-truth/scores/",
        f"/api/v1/exports/{job_id}/download/",
    ):
        response = annotator.get(path)
        assert response.status_code == 403, path
        assert response.json()["message"], path
    assert "work blind" in annotator.get(f"/api/v1/exports/{job_id}/download/").json()["message"]


def test_every_event_kind_that_names_masklets_is_filtered_for_blind_readers():
    # given: the payload type of every event kind (backend/events/kinds.py)
    from backend.events import selectors
    from backend.events.kinds import PAYLOADS

    masklet_keys = {"masklet", "masklets", "chosen", "discarded", "frames", "versions"}
    handled = (
        selectors.MASKLET_KINDS
        | set(selectors.MASKLET_LIST_KINDS)
        | selectors.PROPAGATION_KINDS
        | selectors.AUTOMASK_KINDS
    )
    # then: a kind whose payload can name a masklet is one the blind filter knows
    for kind, payload_type in PAYLOADS.items():
        keys = payload_type.__required_keys__ | payload_type.__optional_keys__
        if keys & masklet_keys:
            assert kind in handled, kind


def test_auto_annotation_events_are_not_for_blind_annotators(blind: Blind):
    # given: a manager's auto-annotation job on the video (its events name auto masklets,
    # which are nobody's)
    from backend.automask.services import automask_job_create

    automask_job_create(
        video=blind.team.video,
        author=blind.team.manager,
        key_frame_mode="first",
        settings={},
        max_masklets=5,
        dedup_iou=0.8,
    )
    # when
    blind_kinds = {e["kind"] for e in _all_events(blind.team.annotator, blind)[0]}
    manager_kinds = {e["kind"] for e in _all_events(blind.team.manager, blind)[0]}
    # then: the manager sees the job, the annotator working blind does not
    assert "automask.queued" in manager_kinds
    assert not {kind for kind in blind_kinds if kind.startswith("automask.")}
