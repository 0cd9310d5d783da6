"""Request bodies, read before Django sees the request: bounded, and kept out of memory.

Django's ASGI handler reads the whole body into a SpooledTemporaryFile before any view or
middleware runs, so a view cannot refuse a body before receiving all of it, and a chunked
body (no Content-Length) is invisible to DRF. `RequestBodyLimit` reads it instead:

- Views that take a file upload (those with an `upload_admit` class method, e.g. the video
  upload) first authenticate the caller from the headers and ask the view whether they may
  send a body at all; anyone else is answered before a byte of the body is read. An allowed
  body streams to a temporary file on disk, up to the view's `upload_max_bytes()`.
- Every other body is held to DATA_UPLOAD_MAX_MEMORY_SIZE; it is kept in memory up to
  FILE_UPLOAD_MAX_MEMORY_SIZE and spills to disk beyond.
- Past its limit a body gets 413 (the connection is closed, so the rest is not read); a
  client that goes away mid-body leaves nothing behind (the temporary file is deleted).
- A chunked body reaches Django with the Content-Length it turned out to have.

Temporary files live in this process's folder of UPLOAD_TEMP_DIR (backend.common.tempfiles).
"""

import io
import json
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Protocol

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.urls import Resolver404, resolve
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings

from backend.api.errors import error_body, too_large_message
from backend.api.exception_handler import handle_exception
from backend.api.fields import ID_MAX
from backend.common.tempfiles import process_temp_dir

# Headers describing the body; left out of the bodiless request used for authentication.
BODY_HEADERS = (b"content-length", b"content-type", b"transfer-encoding")


class StreamedUploadView(Protocol):
    """What a view that takes a file upload declares (backend.videos.uploads.
    StreamedUploadMixin gives the last two)."""

    @classmethod
    def upload_admit(cls, *, user: Any, **url_kwargs: Any) -> None:
        """Raises Http404 / PermissionDenied / an APIException unless the user may upload."""

    @classmethod
    def upload_max_bytes(cls) -> int:
        """Largest body accepted, multipart framing included."""

    @classmethod
    def upload_too_large_message(cls) -> str: ...


class BodyTooLarge(Exception):
    pass


class PreparedBodyASGIHandler(ASGIHandler):
    """Django's ASGI handler, reading the body that RequestBodyLimit already received, and
    running each request's middleware and view in one go in the request's thread.

    Django runs an async-capable middleware (all of Django's own) in async mode under ASGI,
    so that each of its process_request/process_view/process_response calls crosses to a
    thread and back: 17 crossings per request here, a third of the web's CPU time of the
    simplest request (GET health: 7.7 -> 5.3 ms, tests/load/cost.py). Every middleware and
    view of this project is synchronous, so the chain is built as under WSGI and entered
    once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads(keep=REQUEST_THREADS_KEPT)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        """Django's, with the request's synchronous code on a kept thread (RequestThreads)
        instead of a thread started for it."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)

    async def read_body(self, receive):  # type: ignore[no-untyped-def]
        body_file = getattr(receive, "body_file", None)
        if body_file is None:
            return await super().read_body(receive)
        return body_file


# Idle request threads a web process keeps for later requests (more are started when more
# requests run at once, and end once they are done).
REQUEST_THREADS_KEPT = 32


class RequestThreads:
    """The threads that run requests' synchronous code: each request's on one thread (its
    database connection and transaction are that thread's), one request at a time per
    thread, and the thread kept for a later request.

    Django starts a thread for every request (a new ThreadSensitiveContext each time), and
    the event loop waits until that thread has started: under load, a wait for a busy core
    in front of every request the process serves.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._idle: deque[ThreadPoolExecutor] = deque()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def take(self) -> ThreadPoolExecutor:
        try:
            return self._idle.pop()
        except IndexError:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        """Idle again once the request's code returned: after the handler, since a request
        whose client went away is left to finish its view."""
        executor.submit(self._idle_again, executor)

    def _idle_again(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) < self.keep:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)


class _ReceiveAfterBody:
    """The connection's receive() (Django still listens on it for a disconnect), carrying the
    body that was read from it."""

    def __init__(self, receive: Any, body_file: IO[bytes]) -> None:
        self._receive = receive
        self.body_file = body_file

    async def __call__(self) -> Any:
        return await self._receive()


class RequestBodyLimit:
    """ASGI middleware in front of PreparedBodyASGIHandler (see the module docstring)."""

    def __init__(self, app: PreparedBodyASGIHandler) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        upload = _upload_view(scope)
        if upload is not None:
            view_class, url_kwargs = upload
            refusal = await _admit(view_class, scope, url_kwargs)
            if refusal is not None:
                await _send_json(send, *refusal)
                return
            limit = view_class.upload_max_bytes()
            too_large = error_body(view_class.upload_too_large_message(), {"limit": limit})
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            too_large = error_body(too_large_message(limit), {"limit": limit})
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_json(send, 413, too_large)
            return
        try:
            body_file, size = await _read_body(receive, limit, to_disk=upload is not None)
        except BodyTooLarge:
            await _send_json(send, 413, too_large)
            return
        except RequestAborted:
            return  # the client went away; its partial body is already deleted
        if declared is None:
            scope = _with_content_length(scope, size)
        try:
            await self.app(scope, _ReceiveAfterBody(receive, body_file), send)
        finally:
            body_file.close()


def _upload_view(scope: dict) -> tuple[type[StreamedUploadView], dict[str, Any]] | None:
    if scope.get("method") != "POST":
        return None
    path = scope["path"].removeprefix(scope.get("root_path", "") or "")
    try:
        match = resolve(path)
    except Resolver404:
        return None
    view_class = getattr(match.func, "view_class", None)
    if view_class is None or not hasattr(view_class, "upload_admit"):
        return None
    return view_class, match.kwargs


@database_sync_to_async
def _admit(
    view_class: type[StreamedUploadView], scope: dict, url_kwargs: dict[str, Any]
) -> tuple[int, dict[str, Any]] | None:
    """None if the caller may send the body; else the (status, body) to answer with. The
    caller is authenticated as DRF would (session with its CSRF check, or token)."""
    if any(isinstance(value, int) and value > ID_MAX for value in url_kwargs.values()):
        return 404, error_body("Not found.")
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() not in BODY_HEADERS]
    django_request = ASGIRequest({**scope, "headers": headers}, io.BytesIO())
    SessionMiddleware(lambda r: None).process_request(django_request)
    AuthenticationMiddleware(lambda r: None).process_request(django_request)
    request = Request(
        django_request,
        authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES],
    )
    try:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        view_class.upload_admit(user=request.user, **url_kwargs)
    except Exception as exc:  # noqa: BLE001 -- answered like the view would answer it
        response = handle_exception(exc, {"request": request})
        if response.status_code == 401:
            response.status_code = 403  # session auth comes first: no auth challenge (DRF)
        return response.status_code, response.data
    return None


def _content_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _with_content_length(scope: dict, size: int) -> dict:
    headers = [
        (k, v)
        for k, v in scope.get("headers", [])
        if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}


async def _read_body(receive: Any, limit: int, *, to_disk: bool) -> tuple[IO[bytes], int]:
    body: IO[bytes]
    if to_disk:
        body = tempfile.NamedTemporaryFile(prefix="body-", dir=process_temp_dir())  # noqa: SIM115
    else:
        body = tempfile.SpooledTemporaryFile(  # noqa: SIM115 -- closed by the caller
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=process_temp_dir()
        )
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RequestAborted()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            if chunk:
                body.write(chunk)
            if not message.get("more_body", False):
                break
    except BaseException:
        body.close()  # deletes the temporary file
        raise
    body.seek(0)
    return body, size


async def _send_json(send: Any, status: int, data: dict[str, Any]) -> None:
    """An answer sent before the body was read; the connection closes after it, so that the
    client's unread body is not read as the next request."""
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
