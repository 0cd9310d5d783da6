"""The web's ASGI handler (backend/api/request_body.py) runs a request's middleware and view
in one go in the request's thread, as under WSGI, on threads kept from request to request."""

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from django.core.signals import request_started

from backend.config.asgi import application
from tests.backend.conftest import Team
from tests.backend.security.asgi import asgi_request
from tests.backend.security.conftest import token_header

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_a_request_crosses_from_the_event_loop_to_a_thread_a_few_times(
    team: Team, monkeypatch
):
    """Django's own handler runs every async-capable middleware (all of Django's) in async
    mode, so that each of their process_request / process_view / process_response calls
    crossed to the request's thread and back: 17 crossings for one GET, a third of the web's
    CPU time of the simplest request (tests/load/cost.py)."""
    # given
    header = await sync_to_async(token_header)(team.manager)
    crossings: list[str] = []
    cross = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        crossings.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await cross(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    # when
    result = await asgi_request(
        application, "GET", f"/api/v1/projects/{team.project.pk}/", headers=[header]
    )
    # then: the request's start and end signals, and the middleware with the view
    assert result.status == 200, result.body
    assert len(crossings) <= 3, crossings


async def test_requests_run_on_threads_kept_from_earlier_requests(team: Team):
    """Django starts a thread for each request and the event loop waits for it to start (a
    quarter of the web's CPU per request, tests/load/cost.py); threads are kept instead."""
    # given: the thread each request's synchronous code starts on
    header = await sync_to_async(token_header)(team.manager)
    threads: list[threading.Thread] = []

    def started(**kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread())

    request_started.connect(started)
    try:
        # when: two requests, one after the other
        for _ in range(2):
            result = await asgi_request(
                application, "GET", f"/api/v1/projects/{team.project.pk}/", headers=[header]
            )
            assert result.status == 200, result.body
            await _idle_again(application)
    finally:
        request_started.disconnect(started)
    # then: the second ran on the first one's thread
    assert len(threads) == 2
    assert threads[0] is threads[1]


async def _idle_again(app) -> None:  # type: ignore[no-untyped-def]
    """Waits until the handler's threads are all idle (given back after each request)."""
    threads = getattr(app.application_mapping["http"].app, "threads", None)
    for _ in range(3000):
        if threads is None or threads.idle:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the request's thread never became idle")
