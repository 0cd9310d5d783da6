"""Database connections of the web process (uvicorn, the ASGI app): bounded by the pool,
never one left behind per request."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from backend.accounts.models import User
from backend.config import env
from tests.backend.factories import MembershipFactory, UserFactory
from tests.worker.conftest import _database_url

REQUESTS = 40
POOL_MAX = 4
PASSWORD = "pw-12345678"  # noqa: S105 -- a test user's


# The server's connections carry this name, so that other connections to the test database
# (this process's threads) do not count.
APPLICATION = "connections-test-web"


def _server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION]
        )
        return int(cursor.fetchone()[0])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    pairs = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    return dict(pair.split("=", 1) for pair in pairs)


def _log_in(port: int, username: str) -> str:
    """A browser's session: the csrf cookie, then a login; returns the Cookie header."""
    cookies = _cookies(_request(port, "GET", "/api/v1/auth/csrf/", {}))
    login = _request(
        port,
        "POST",
        "/api/v1/auth/login/",
        {
            "Content-Type": "application/json",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "X-CSRFToken": cookies["csrftoken"],
        },
        json.dumps({"username": username, "password": PASSWORD}),
    )
    assert login.status == 200, login.status
    cookies.update(_cookies(login))
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sequential_requests_do_not_grow_the_connection_count(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("connection pooling is PostgreSQL's (SQLite has no server connections)")
    # given: uvicorn serving the ASGI app on the test database, and a member logged in as a
    # browser is (a session); the server's settings hash passwords with PBKDF2
    membership = MembershipFactory(user=UserFactory(username="member"))
    User.objects.filter(pk=membership.user_id).update(
        password=PBKDF2PasswordHasher().encode(PASSWORD, "connections-test")
    )
    path = f"/api/v1/projects/{membership.project_id}/"
    port = _free_port()
    log = tmp_path / "uvicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.config.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"],
        env={
            **os.environ,
            # The embedded mode's settings, DEBUG on: a connection left in a finished
            # request's thread then stays open (without DEBUG until the next garbage
            # collection, whenever that comes), so a leak shows on every run.
            "DJANGO_SETTINGS_MODULE": "backend.config.django.local",
            "DEBUG": "true",
            "DATABASE_URL": f"{_database_url()}?application_name={APPLICATION}",
            "DB_POOL_MAX_SIZE": str(POOL_MAX),
            "PYTHONPATH": str(env.REPO_DIR),
        },
        cwd=env.REPO_DIR,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                cookie = _log_in(port, "member")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.3)

        # One kept-alive HTTP connection, as a browser's.
        browser = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def get() -> int:
            browser.request("GET", path, headers={"Cookie": cookie})
            response = browser.getresponse()
            response.read()
            return response.status

        for _ in range(3):
            assert get() == 200
        before = _server_connections()
        # when
        statuses = [get() for _ in range(REQUESTS)]
        # then: the pool's connections are reused; none is left behind per request
        after = _server_connections()
        assert statuses == [200] * REQUESTS
        assert after <= before, (before, after)
        assert 0 < after <= POOL_MAX
        browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
