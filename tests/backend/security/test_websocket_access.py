"""An open websocket follows its user's access: removed from the project, logged out, or the
session gone, and it closes."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from backend.config.asgi import application
from backend.events.kinds import EventKind
from backend.events.routing import websocket_urlpatterns
from backend.events.services import event_record
from backend.projects.models import Membership
from backend.projects.services import membership_remove
from tests.backend.conftest import Team

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def _connected(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    connected, code = await communicator.connect(timeout=10)
    assert connected, code
    return communicator


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    """The close code the server sent (events sent before it are skipped)."""
    while True:
        message = await communicator.receive_output(timeout=30)
        if message["type"] == "websocket.close":
            return message["code"]
        assert message["type"] == "websocket.send", message


def _session_client(user) -> tuple[Client, bytes]:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


def _browser_socket(team: Team, cookie: bytes) -> WebsocketCommunicator:
    """The socket as a browser opens it: through the full ASGI application (session cookie,
    origin check, auth middleware)."""
    return WebsocketCommunicator(
        application,
        f"/ws/projects/{team.project.pk}/events/",
        headers=[(b"cookie", cookie), (b"origin", b"http://localhost"), (b"host", b"localhost")],
    )


async def test_member_removed_while_their_websocket_is_open_is_disconnected(team: Team):
    # given: the reviewer follows the project's events
    socket = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/projects/{team.project.pk}/events/"
    )
    socket.scope["user"] = team.reviewer
    await _connected(socket)
    # when: a manager removes them from the project
    membership = await Membership.objects.aget(project=team.project, user=team.reviewer)
    await database_sync_to_async(membership_remove)(membership=membership, actor=team.manager)
    # then: the socket closes as forbidden, and no later event reaches it
    assert await _closed_with(socket) == 4403
    await database_sync_to_async(event_record)(
        project_id=team.project.pk, kind=EventKind.TASK_DELETED, payload={"task": 1}
    )
    assert await socket.receive_nothing(timeout=0.5)


async def test_logout_closes_the_websockets_of_that_session(team: Team):
    # given: the annotator's browser session, with its websocket open
    client, cookie = await sync_to_async(_session_client)(team.annotator)
    socket = await _connected(_browser_socket(team, cookie))
    # when: they log out
    response = await sync_to_async(client.post)("/api/v1/auth/logout/")
    assert response.status_code == 204
    # then
    assert await _closed_with(socket) == 4401


async def test_logout_elsewhere_leaves_other_sessions_open(team: Team):
    # given: the same user in two browsers
    first, first_cookie = await sync_to_async(_session_client)(team.annotator)
    _second, second_cookie = await sync_to_async(_session_client)(team.annotator)
    first_socket = await _connected(_browser_socket(team, first_cookie))
    second_socket = await _connected(_browser_socket(team, second_cookie))
    # when: the first browser logs out
    await sync_to_async(first.post)("/api/v1/auth/logout/")
    # then: only its socket closes; the other still gets events
    assert await _closed_with(first_socket) == 4401
    await database_sync_to_async(event_record)(
        project_id=team.project.pk, kind=EventKind.TASK_DELETED, payload={"task": 2}
    )
    message = await second_socket.receive_json_from(timeout=10)
    assert [e["kind"] for e in message["events"]] == ["task.deleted"]
    await second_socket.disconnect()


async def test_a_session_that_ends_without_a_message_is_noticed_by_the_recheck(
    team: Team, settings
):
    # given: a websocket that re-checks its session often
    settings.WEBSOCKET_RECHECK_S = 0.2
    _client, cookie = await sync_to_async(_session_client)(team.annotator)
    socket = await _connected(_browser_socket(team, cookie))
    # when: the session disappears behind its back (expired, or logged out by another process
    # whose message was lost)
    await Session.objects.all().adelete()
    # then
    assert await _closed_with(socket) == 4401


async def test_a_removed_member_cannot_open_a_websocket_with_their_session(team: Team):
    _client, cookie = await sync_to_async(_session_client)(team.reviewer)
    await Membership.objects.filter(project=team.project, user=team.reviewer).adelete()
    connected, code = await _browser_socket(team, cookie).connect(timeout=10)
    assert not connected
    assert code == 4403


async def _after_recheck(team: Team, settings, change) -> int:  # type: ignore[no-untyped-def]
    """The close code of a browser socket whose session or user ``change`` alters while it
    is open (a recheck every 0.2 s finds it, without any message)."""
    settings.WEBSOCKET_RECHECK_S = 0.2
    _client, cookie = await sync_to_async(_session_client)(team.annotator)
    socket = await _connected(_browser_socket(team, cookie))
    await database_sync_to_async(change)()
    return await _closed_with(socket)


async def test_a_password_change_elsewhere_ends_the_sockets_of_older_sessions(team: Team, settings):
    def change_password() -> None:
        team.annotator.set_password("a-new-password-4821")
        team.annotator.save()

    assert await _after_recheck(team, settings, change_password) == 4401


async def test_a_deactivated_users_sockets_close(team: Team, settings):
    def deactivate() -> None:
        team.annotator.is_active = False
        team.annotator.save()

    assert await _after_recheck(team, settings, deactivate) == 4401


async def test_an_expired_session_ends_its_sockets(team: Team, settings):
    def expire() -> None:
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    assert await _after_recheck(team, settings, expire) == 4401


async def test_a_session_that_stands_keeps_its_socket_through_rechecks(team: Team, settings):
    # given: a browser socket that re-checks its access every 0.2 s
    settings.WEBSOCKET_RECHECK_S = 0.2
    _client, cookie = await sync_to_async(_session_client)(team.annotator)
    socket = await _connected(_browser_socket(team, cookie))
    # when: rechecks pass (nothing changed), then an event comes
    assert await socket.receive_nothing(timeout=1.5)
    await database_sync_to_async(event_record)(
        project_id=team.project.pk, kind=EventKind.TASK_DELETED, payload={"task": 3}
    )
    # then: the socket is still open and gets it
    message = await socket.receive_json_from(timeout=10)
    assert [e["kind"] for e in message["events"]] == ["task.deleted"]
    await socket.disconnect()
