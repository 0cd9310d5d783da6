"""Calls the web process's ASGI application in the test process, message by message."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class AsgiResult:
    status: int | None
    headers: dict[bytes, bytes]
    body: bytes
    # receive() calls that returned a piece of the body: 0 means none of it was read.
    body_messages_read: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class BodySource:
    """The client side of a request body: chunks, then the end (or a disconnect)."""

    chunks: list[bytes]
    disconnect_after: int | None = None
    before_disconnect: Callable[[], None] | None = None
    read: int = 0
    _done: asyncio.Event = field(default_factory=asyncio.Event)

    async def receive(self) -> dict[str, Any]:
        if self.disconnect_after is not None and self.read >= self.disconnect_after:
            if self.before_disconnect is not None:
                self.before_disconnect()
            return {"type": "http.disconnect"}
        if self.read < len(self.chunks):
            self.read += 1
            more = self.read < len(self.chunks) or self.disconnect_after is not None
            return {"type": "http.request", "body": self.chunks[self.read - 1], "more_body": more}
        if not self.chunks and self.read == 0:
            self.read = 1
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._done.wait()  # Django listens for a disconnect until the response is out
        return {"type": "http.disconnect"}


async def asgi_request(
    app: Any,
    method: str,
    path: str,
    *,
    headers: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
    chunks: list[bytes] = (),  # type: ignore[assignment]
    disconnect_after: int | None = None,
    before_disconnect: Callable[[], None] | None = None,
    query_string: bytes = b"",
) -> AsgiResult:
    source = BodySource(list(chunks), disconnect_after, before_disconnect)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query_string,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    status: int | None = None
    response_headers: dict[bytes, bytes] = {}
    body = bytearray()

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.update({k.lower(): v for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                source._done.set()

    await app(scope, source.receive, send)
    source._done.set()
    body_reads = min(source.read, len(source.chunks)) if source.chunks else source.read
    return AsgiResult(status, response_headers, bytes(body), body_reads)


def multipart(
    fields: dict[str, str], file_field: str, filename: str, content: bytes
) -> tuple[bytes, bytes]:
    """(content-type header, body) of a multipart/form-data request."""
    boundary = b"----sam2testboundary7MA4YWxkTrZu0gW"
    parts = []
    for name, value in fields.items():
        parts.append(
            b"--"
            + boundary
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    parts.append(
        b"--"
        + boundary
        + b"\r\n"
        + f'Content-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + content
        + b"\r\n"
    )
    parts.append(b"--" + boundary + b"--\r\n")
    return b"multipart/form-data; boundary=" + boundary, b"".join(parts)


def chunked(data: bytes, size: int = 64 * 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]
