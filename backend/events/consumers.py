"""Websocket that streams a project's event log: /ws/projects/<id>/events/?after=<seq>&video=<id>.

The database is the truth: on connect the consumer sends every event after position
`after`, and each wake-up (a channel-layer message sent once an event's transaction
committed and was sequenced) makes it read and send what is new; a slow poll covers lost
wake-ups (a broker restart). Positions are given in commit order (events/services.py), so
a client that reconnects with the last `seq` it saw misses nothing and gets nothing twice.
With `video`, the socket streams the events about that video and is woken only by them.

Access is not decided once: before every read (wake-up or poll, so at least every
WEBSOCKET_RECHECK_S) the consumer checks again that the session stands and the user is still
a member, and closes the socket otherwise (4401: logged out or session ended, 4403: no longer
a member). A logout closes the sockets of its session at once (a "session.ended" message to
the user's group). What a member sees follows their current role (blind consensus:
backend/events/selectors.py).
"""

import asyncio
import contextlib
import random
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from backend.accounts.models import User
from backend.accounts.sessions import session_stands_for, user_sessions_group
from backend.events.apis import EventOutputSerializer
from backend.events.selectors import event_list_for_user
from backend.events.services import project_group, video_group
from backend.projects.models import Membership

# Events per websocket message while catching up; a long backlog goes out in several.
BATCH = 500
CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN = 4401, 4403


class ProjectEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.cursor = _int(query.get("after", ["0"])[0])
        video = query.get("video", [None])[0]
        self.video_id = _int(video) if video else None
        # One reader at a time: a wake-up and the poll must not both send the same events.
        self.reading = asyncio.Lock()
        self.ended = False
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        # Sessions carry the login; a scope without one (tests) is checked for membership only.
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None) if session else None
        refusal = await _access_refusal(self.user_id, self.session_key, self.project_id)
        if refusal is not None:
            await self.close(code=refusal)
            return
        # A socket following one video hears only of that video's news (services._wake).
        log_group = (
            project_group(self.project_id)
            if self.video_id is None
            else video_group(self.project_id, self.video_id)
        )
        self.groups_joined = [log_group, user_sessions_group(self.user_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_new()
        self.poller = asyncio.create_task(self._poll())

    async def disconnect(self, code: int) -> None:
        self.ended = True
        poller = getattr(self, "poller", None)
        if poller is not None and poller is not asyncio.current_task():
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """{"after": seq} rewinds or skips the cursor (e.g. after a client-side reload)."""
        if isinstance(content, dict) and isinstance(content.get("after"), int):
            async with self.reading:
                self.cursor = max(0, content["after"])
            await self._send_new()

    async def events_new(self, message: dict[str, Any]) -> None:
        if message.get("last_seq", 0) <= self.cursor:
            return
        await self._send_new()

    async def session_ended(self, message: dict[str, Any]) -> None:
        if self.session_key is not None and message.get("session_key") == self.session_key:
            await self._end(CLOSE_UNAUTHENTICATED)

    async def _poll(self) -> None:
        """What is new without a wake-up (one lost while the broker restarted), and a fresh
        look at the user's access; one indexed query per open websocket. The pause is drawn
        anew each time (at most WEBSOCKET_RECHECK_S): sockets opened together (a team
        starting its day, everyone reconnecting after a restart) would otherwise all read
        at the same instants."""
        while not self.ended:
            await asyncio.sleep(settings.WEBSOCKET_RECHECK_S * random.uniform(0.5, 1.0))  # noqa: S311
            await self._send_new()

    async def _end(self, code: int) -> None:
        if self.ended:
            return
        self.ended = True
        poller = getattr(self, "poller", None)
        if poller is not None and poller is not asyncio.current_task():
            poller.cancel()
        await self.close(code=code)

    async def _send_new(self) -> None:
        refusal = None
        async with self.reading:
            while not self.ended:
                refusal, events = await _read_events(
                    self.user_id, self.session_key, self.project_id, self.cursor, self.video_id
                )
                if refusal is not None or not events:
                    break
                self.cursor = events[-1]["seq"]
                await self.send_json({"type": "events", "events": events})
                if len(events) < BATCH:
                    break
        if refusal is not None:
            await self._end(refusal)


def _int(value: str) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        return 0


def _member(
    user_id: int, session_key: str | None, project_id: int
) -> tuple[int | None, Membership | None]:
    """(close code, None) if the user may no longer follow the project, else (None, their
    membership, with its project and user): two queries, the membership and the session."""
    membership = (
        Membership.objects.select_related("project", "user")
        .filter(user_id=user_id, project_id=project_id)
        .first()
    )
    if session_key is not None:
        user = membership.user if membership else User.objects.filter(pk=user_id).first()
        if not session_stands_for(session_key, user):
            return CLOSE_UNAUTHENTICATED, None
    return (CLOSE_FORBIDDEN, None) if membership is None else (None, membership)


@database_sync_to_async
def _access_refusal(user_id: int, session_key: str | None, project_id: int) -> int | None:
    return _member(user_id, session_key, project_id)[0]


@database_sync_to_async
def _read_events(
    user_id: int, session_key: str | None, project_id: int, after: int, video_id: int | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """(close code, []) if the user may no longer follow the project; else (None, the next
    events they may see, redacted)."""
    refusal, membership = _member(user_id, session_key, project_id)
    if membership is None:
        return refusal, []
    events, visibility = event_list_for_user(
        project=membership.project,
        user=membership.user,
        role=membership.role,
        after=after,
        video_id=video_id,
    )
    page = [visibility.redact(event) for event in events[:BATCH]]
    return None, EventOutputSerializer(page, many=True).data
