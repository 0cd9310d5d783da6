"""Websocket that streams a project's event log: /ws/projects/<id>/events/?after=<seq>&video=<id>.

The database is the truth: on connect the consumer sends every event after position
`after`, and each wake-up (a channel-layer message sent once an event's transaction
committed and was sequenced) makes it read and send what is new; a slow poll covers lost
wake-ups (a broker restart). Positions are given in commit order (events/services.py), so
a client that reconnects with the last `seq` it saw misses nothing and gets nothing twice.
"""

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from backend.events.apis import EventOutputSerializer
from backend.events.models import Event
from backend.events.services import project_group
from backend.projects.models import Membership

# Events per websocket message while catching up; a long backlog goes out in several.
BATCH = 500
CLOSE_UNAUTHENTICATED, CLOSE_FORBIDDEN = 4401, 4403
# Without a wake-up, a client still gets what is new this often (a wake-up lost while the
# broker restarted); one indexed query per open websocket.
POLL_EVERY_S = 15.0


class ProjectEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.cursor = _int(query.get("after", ["0"])[0])
        video = query.get("video", [None])[0]
        self.video_id = _int(video) if video else None
        # One reader at a time: a wake-up and the poll must not both send the same events.
        self.reading = asyncio.Lock()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await _is_member(user.pk, self.project_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = project_group(self.project_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_new()
        self.poller = asyncio.create_task(self._poll())

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "poller"):
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.poller
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """{"after": seq} rewinds or skips the cursor (e.g. after a client-side reload)."""
        if isinstance(content, dict) and isinstance(content.get("after"), int):
            async with self.reading:
                self.cursor = max(0, content["after"])
            await self._send_new()

    async def events_new(self, message: dict[str, Any]) -> None:
        if message.get("last_seq", 0) > self.cursor:
            await self._send_new()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_EVERY_S)
            await self._send_new()

    async def _send_new(self) -> None:
        async with self.reading:
            while True:
                events = await _events_after(self.project_id, self.cursor, self.video_id)
                if not events:
                    return
                self.cursor = events[-1]["seq"]
                await self.send_json({"type": "events", "events": events})
                if len(events) < BATCH:
                    return


def _int(value: str) -> int:
    try:
        return max(0, int(value))
    except ValueError:
        return 0


@database_sync_to_async
def _is_member(user_id: int, project_id: int) -> bool:
    return Membership.objects.filter(user_id=user_id, project_id=project_id).exists()


@database_sync_to_async
def _events_after(project_id: int, after: int, video_id: int | None) -> list[dict[str, Any]]:
    events = Event.objects.filter(project_id=project_id, seq__gt=after)
    if video_id is not None:
        events = events.filter(video_id=video_id)
    return EventOutputSerializer(events.order_by("seq")[:BATCH], many=True).data
