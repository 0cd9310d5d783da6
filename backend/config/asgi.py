"""ASGI entry point (uvicorn backend.config.asgi:application): HTTP and websockets."""

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")

django_http = get_asgi_application()

# After Django is set up: these import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from backend.events.routing import websocket_urlpatterns  # noqa: E402

# Multipart framing around the file; a body larger than the limit plus this cannot fit.
MULTIPART_OVERHEAD = 64 * 1024


async def http_application(scope, receive, send):  # type: ignore[no-untyped-def]
    """Refuses an oversized upload from its Content-Length before any of the body is read
    (Django would spool the whole body to disk first), then hands over to Django."""
    length = dict(scope.get("headers") or []).get(b"content-length")
    if length and length.isdigit() and int(length) > settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        limit_mib = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        body = json.dumps(
            {
                "message": f"The upload is larger than the limit of {limit_mib} MiB "
                "(MAX_UPLOAD_BYTES).",
                "extra": {},
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    await django_http(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
