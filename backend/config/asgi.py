"""ASGI entry point (uvicorn backend.config.asgi:application): HTTP and websockets."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
django.setup(set_prefix=False)

# After Django is set up: these import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from backend.api.request_body import PreparedBodyASGIHandler, RequestBodyLimit  # noqa: E402
from backend.common.tempfiles import temp_dirs_sweep  # noqa: E402
from backend.events.routing import websocket_urlpatterns  # noqa: E402

# A web process starting: what crashed processes left in UPLOAD_TEMP_DIR goes.
temp_dirs_sweep()
# Every view module imported now rather than by the first request each process serves
# (with SciPy for the quality views, about a second of CPU that request would wait for).
get_resolver().url_patterns  # noqa: B018 -- the lookup imports them

application = ProtocolTypeRouter(
    {
        # Bodies are bounded and (for uploads) checked against the caller before Django
        # reads them; see backend/api/request_body.py.
        "http": RequestBodyLimit(PreparedBodyASGIHandler()),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
