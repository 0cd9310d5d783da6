"""/api/docs/ (Swagger UI) and /api/redoc/ (ReDoc) work without internet: every asset they
reference is on this server and found by the static files finders (drf-spectacular-sidecar)."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

# src="..." / href="..." / spec-url="..." attributes, and string URLs in inline scripts.
ATTRIBUTE_URL = re.compile(r'\b(?:src|href|spec-url)\s*=\s*"([^"]*)"')
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_page_references_only_same_origin_assets(db, page):
    # when
    response = Client(HTTP_HOST="localhost").get(page)
    html = response.content.decode()
    # then
    assert response.status_code == 200
    assert ABSOLUTE_URL.findall(html) == []
    urls = ATTRIBUTE_URL.findall(html)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme
        assert not parts.netloc
        assert url.startswith("/"), url
        if url.startswith("/static/"):
            assert finders.find(parts.path.removeprefix("/static/")), f"{url} is not a static file"


def test_docs_pages_name_the_schema_of_this_server(db):
    client = Client(HTTP_HOST="localhost")
    assert '"/api/schema/"' in client.get("/api/redoc/").content.decode()
    assert "/api/schema/" in client.get("/api/docs/").content.decode()
