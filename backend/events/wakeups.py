"""Wakes live-event listeners after a commit, off the request path.

A wake-up is a channel-layer group message ("there are events up to position N"); each
project's log and each of its videos has a group (events/services.py). Sending one
through Redis from synchronous code costs a new event loop and connection each time, tens
of milliseconds a click; here one background thread keeps a loop and the layer's connection
and sends them in order. Wake-ups are hints: one lost is caught up by the next, and a
client that reconnects reads the log from its last id.
"""

import asyncio
import logging
import queue
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)

_queue: "queue.SimpleQueue[tuple[str, dict]]" = queue.SimpleQueue()
_thread: threading.Thread | None = None
_lock = threading.Lock()


def wake(group: str, last_seq: int) -> None:
    """Tells a group's listeners that the log has events up to position ``last_seq``."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "events.new", "last_seq": last_seq}
    if isinstance(layer, InMemoryChannelLayer):
        # In-memory layers (tests) live in the listeners' event loop: send from here.
        async_to_sync(layer.group_send)(group, message)
        return
    _ensure_thread()
    _queue.put((group, message))


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, daemon=True, name="event-wakeups")
            _thread.start()


def _run() -> None:
    """One event loop for the thread's life, so the layer keeps its Redis connection. The
    thread blocks on the queue itself (a daemon: it never holds up interpreter exit)."""
    loop = asyncio.new_event_loop()
    layer = get_channel_layer()
    while True:
        group, message = _queue.get()
        try:
            loop.run_until_complete(layer.group_send(group, message))
        except Exception:  # noqa: BLE001 -- a broker hiccup must not stop later wake-ups
            logger.warning("could not wake listeners of %s", group, exc_info=True)
