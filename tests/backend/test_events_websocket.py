"""The live event stream: backlog from a given position, then new events as they commit."""

import asyncio
import threading

import numpy as np
import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from backend.common import rle
from backend.events.kinds import EventKind
from backend.events.models import Event
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


def _record_now(team: Team, task: int) -> Event:
    """A small event; the payload's task number tells events apart."""
    return event_record(
        project_id=team.project.pk, kind=EventKind.TASK_DELETED, payload={"task": task}
    )


@database_sync_to_async
def _record(team: Team, task: int) -> int:
    """Records in its own transaction; returns the event's position in the log."""
    event = _record_now(team, task)
    event.refresh_from_db()
    return event.seq


def _tasks(message: dict) -> list[int]:
    return [e["payload"]["task"] for e in message["events"]]


async def test_client_gets_the_backlog_then_live_events(team: Team):
    # given: an event before the client connects
    first = await _record(team, 1)
    communicator = _connect(team, team.reviewer, f"?after={first - 1}")
    connected, _ = await communicator.connect()
    assert connected
    backlog = await communicator.receive_json_from(timeout=5)
    assert _tasks(backlog) == [1]
    # when: an annotator writes masks
    await _write_frame(team, version=1)
    # then: the watcher receives the event without asking
    live = await communicator.receive_json_from(timeout=5)
    assert [e["kind"] for e in live["events"]] == ["masklet.frames_written"]
    assert live["events"][0]["payload"]["frames"] == [2]
    await communicator.disconnect()


async def test_reconnect_with_last_position_misses_nothing(team: Team):
    start = await _record(team, 0)
    communicator = _connect(team, team.manager, f"?after={start}")
    assert (await communicator.connect())[0]
    last_seen = await _record(team, 1)
    message = await communicator.receive_json_from(timeout=5)
    assert message["events"][-1]["seq"] == last_seen
    await communicator.disconnect()
    # events while disconnected
    await _record(team, 2)
    await _record(team, 3)
    again = _connect(team, team.manager, f"?after={last_seen}")
    assert (await again.connect())[0]
    resumed = await again.receive_json_from(timeout=5)
    assert _tasks(resumed) == [2, 3]
    await again.disconnect()


async def test_a_slower_writer_that_commits_second_is_delivered_once_live_and_on_reconnect(
    team: Team,
):
    """The event of the transaction that inserted first (lower id) but commits second used
    to be skipped: a client's cursor had passed its id already."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the first to insert always commits first")
    # given: a live client, and a slow transaction that inserted its event first
    start = await _record(team, 0)
    live = _connect(team, team.annotator, f"?after={start}")
    assert (await live.connect())[0]
    slow_inserted, release_slow = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                ids["slow"] = _record_now(team, 1).pk
                slow_inserted.set()
                assert release_slow.wait(60)
        finally:
            connection.close()

    def fast_writer() -> None:
        try:
            with transaction.atomic():
                ids["fast"] = _record_now(team, 2).pk
        finally:
            connection.close()

    slow = asyncio.ensure_future(sync_to_async(slow_writer, thread_sensitive=False)())
    assert await asyncio.to_thread(slow_inserted.wait, 60)
    # when: a faster transaction inserts later (higher id) and commits first
    await sync_to_async(fast_writer, thread_sensitive=False)()
    first = await live.receive_json_from(timeout=30)
    release_slow.set()
    await slow
    second = await live.receive_json_from(timeout=30)
    # then: the live client got both, each once, in commit order
    assert ids["slow"] < ids["fast"]
    assert _tasks(first) == [2]
    assert _tasks(second) == [1]
    assert first["events"][0]["seq"] < second["events"][0]["seq"]
    assert await live.receive_nothing(timeout=0.5)
    await live.disconnect()
    # and a client that stopped after the fast event resumes with the slow one, once
    again = _connect(team, team.annotator, f"?after={first['events'][0]['seq']}")
    assert (await again.connect())[0]
    resumed = await again.receive_json_from(timeout=5)
    assert _tasks(resumed) == [1]
    assert await again.receive_nothing(timeout=0.5)
    await again.disconnect()


async def test_a_socket_following_one_video_reads_the_log_only_for_that_videos_news(
    team: Team, monkeypatch, settings
):
    """With a socket per annotator, each woken and reading the log on every wake-up of the
    project, 50 annotators cost 50 wake-ups and reads per event; a socket following one video
    now hears only of that video's news."""
    from backend.events import consumers
    from tests.backend.factories import make_ready_video

    settings.WEBSOCKET_RECHECK_S = 3600  # no poll during the test: reads come from wake-ups
    reads: dict[int | None, int] = {}
    wakeups: dict[int | None, int] = {}
    read = consumers._read_events
    woken = consumers.ProjectEventsConsumer.events_new

    async def counted(user_id, session_key, project_id, after, video_id):  # type: ignore[no-untyped-def]
        reads[video_id] = reads.get(video_id, 0) + 1
        return await read(user_id, session_key, project_id, after, video_id)

    async def counted_wakeup(consumer, message):  # type: ignore[no-untyped-def]
        wakeups[consumer.video_id] = wakeups.get(consumer.video_id, 0) + 1
        await woken(consumer, message)

    monkeypatch.setattr(consumers, "_read_events", counted)
    monkeypatch.setattr(consumers.ProjectEventsConsumer, "events_new", counted_wakeup)
    other = await database_sync_to_async(make_ready_video)(team.project)

    @database_sync_to_async
    def record_about(video_id: int, task: int) -> None:
        event_record(
            project_id=team.project.pk,
            kind=EventKind.TASK_DELETED,
            payload={"task": task},
            video_id=video_id,
        )

    start = await _record(team, 0)
    mine = _connect(team, team.manager, f"?after={start}&video={team.video.pk}")
    everything = _connect(team, team.manager, f"?after={start}")
    assert (await mine.connect())[0]
    assert (await everything.connect())[0]
    reads_at_connect = reads[team.video.pk]
    # when: three events about another video, then one about the followed video
    for task in (1, 2, 3):
        await record_about(other.pk, task)
    seen: list[int] = []
    while len(seen) < 3:
        seen += _tasks(await everything.receive_json_from(timeout=10))
    assert seen == [1, 2, 3]
    assert await mine.receive_nothing(timeout=0.2)
    await record_about(team.video.pk, 4)
    # then: the socket following the video got its event with one read, none for the others
    assert _tasks(await mine.receive_json_from(timeout=10)) == [4]
    assert reads[team.video.pk] == reads_at_connect + 1
    assert wakeups[team.video.pk] == 1
    assert _tasks(await everything.receive_json_from(timeout=10)) == [4]
    await mine.disconnect()
    await everything.disconnect()


@pytest.mark.parametrize(("who", "code"), [("outsider", 4403), ("anonymous", 4401)])
async def test_non_members_are_refused(team: Team, who: str, code: int):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else team.outsider
    communicator = _connect(team, user)
    connected, close_code = await communicator.connect()
    assert not connected
    assert close_code == code
