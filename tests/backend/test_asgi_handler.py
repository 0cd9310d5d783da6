"""The web's ASGI handler (backend/api/request_body.py) runs a request's middleware and view
in one go in the request's thread, as under WSGI."""

import pytest
from asgiref.sync import SyncToAsync, sync_to_async

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
