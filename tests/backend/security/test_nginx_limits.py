"""nginx (docker/nginx/nginx.conf) refuses bodies at the web process's own limits."""

import re

from django.conf import settings
from django.urls import URLResolver, get_resolver

from backend.config import env
from backend.videos.uploads import MULTIPART_OVERHEAD

NGINX_CONF = env.REPO_DIR / "docker" / "nginx" / "nginx.conf"
UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def _bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * UNITS[unit]


def _location(text: str, opening: str) -> str:
    start = text.index(opening)
    return text[start : text.index("\n        }\n", start)]


def test_nginx_body_limits_match_the_web_process():
    text = NGINX_CONF.read_text()
    server_level = re.search(r"\n        client_max_body_size (\S+);", text)
    assert server_level is not None
    assert _bytes(server_level.group(1)) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    uploads = _location(text, "location ~ ^/api/v1/(projects/[0-9]+/videos/upload|videos/")
    limit = re.search(r"client_max_body_size (\S+);", uploads)
    assert limit is not None
    assert _bytes(limit.group(1)) == settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD
    # streamed to the web process, which checks the caller before reading the body
    assert "proxy_request_buffering off;" in uploads
    assert re.search(r"\n        proxy_http_version 1\.1;", text)  # chunked bodies unbuffered too


def _routes(patterns, prefix: str = ""):  # type: ignore[no-untyped-def]
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield "/" + re.sub(r"<int:\w+>", "7", route), entry.callback


def test_nginx_upload_location_covers_every_upload_view():
    pattern = re.search(r"location ~ (\^/api/v1/\S+) \{", NGINX_CONF.read_text())
    assert pattern is not None
    upload_paths = [
        path
        for path, view in _routes(get_resolver().url_patterns)
        if hasattr(getattr(view, "view_class", None), "upload_admit")
    ]
    assert len(upload_paths) == 2  # the video upload and the masklet import
    for path in upload_paths:
        assert re.match(pattern.group(1), path), path
