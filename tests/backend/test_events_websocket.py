"""The live event stream: backlog from a given id, then new events as they commit."""

import numpy as np
import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from backend.common import rle
from backend.events.routing import websocket_urlpatterns
from backend.events.services import event_record
from backend.masklets.services import masklet_frames_write
from tests.backend.conftest import Team

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def _connect(team: Team, user, query: str = "") -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/projects/{team.project.pk}/events/{query}"
    )
    communicator.scope["user"] = user
    return communicator


@database_sync_to_async
def _write_frame(team: Team, version: int) -> None:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[1:9, 2:7] = 1
    masklet_frames_write(
        masklet=team.masklet,
        actor=team.annotator,
        version=version,
        frames=[{"frame_index": 2, "rle": rle.encode(mask)}],
    )


@database_sync_to_async
def _record(team: Team, kind: str) -> int:
    return event_record(project_id=team.project.pk, kind=kind).pk


async def test_client_gets_the_backlog_then_live_events(team: Team):
    # given: an event before the client connects
    first = await _record(team, "test.before")
    communicator = _connect(team, team.reviewer, f"?after={first - 1}")
    connected, _ = await communicator.connect()
    assert connected
    backlog = await communicator.receive_json_from(timeout=5)
    assert [e["kind"] for e in backlog["events"]] == ["test.before"]
    # when: an annotator writes masks
    await _write_frame(team, version=1)
    # then: the watcher receives the event without asking
    live = await communicator.receive_json_from(timeout=5)
    assert [e["kind"] for e in live["events"]] == ["masklet.frames_written"]
    assert live["events"][0]["payload"]["frames"] == [2]
    await communicator.disconnect()


async def test_reconnect_with_last_id_misses_nothing(team: Team):
    start = await _record(team, "test.zero")
    communicator = _connect(team, team.manager, f"?after={start}")
    assert (await communicator.connect())[0]
    last_seen = await _record(team, "test.one")
    message = await communicator.receive_json_from(timeout=5)
    assert message["events"][-1]["id"] == last_seen
    await communicator.disconnect()
    # events while disconnected
    await _record(team, "test.two")
    await _record(team, "test.three")
    again = _connect(team, team.manager, f"?after={last_seen}")
    assert (await again.connect())[0]
    resumed = await again.receive_json_from(timeout=5)
    assert [e["kind"] for e in resumed["events"]] == ["test.two", "test.three"]
    await again.disconnect()


@pytest.mark.parametrize(("who", "code"), [("outsider", 4403), ("anonymous", 4401)])
async def test_non_members_are_refused(team: Team, who: str, code: int):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else team.outsider
    communicator = _connect(team, user)
    connected, close_code = await communicator.connect()
    assert not connected
    assert close_code == code
