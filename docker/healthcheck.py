#!/usr/bin/env python
"""Healthcheck of the web container: exit 0 iff GET /api/v1/health/ on local uvicorn is 200.

Installed in the web image as /usr/local/bin/web-healthcheck; docker-compose.yml runs it.
Standard library only (the slim image has no curl).
"""

import http.client
import os
import sys

PATH = "/api/v1/health/"
TIMEOUT_S = 5


def request_host() -> str:
    """A Host header Django accepts: the first ALLOWED_HOSTS entry as a plain name.

    Django answers 400 to any other Host, and the deployment's ALLOWED_HOSTS rarely lists
    localhost. A leading-dot entry (".example.com") also matches the bare domain.
    """
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        name = entry.strip()
        if name == "*":
            return "localhost"
        if name:
            return name.lstrip(".")
    return "localhost"


def main() -> int:
    connection = http.client.HTTPConnection("127.0.0.1", 8000, timeout=TIMEOUT_S)
    try:
        # X-Forwarded-Proto as nginx sends it behind TLS, so SECURE_SSL_REDIRECT never turns
        # the probe into a redirect.
        connection.request(
            "GET", PATH, headers={"Host": request_host(), "X-Forwarded-Proto": "https"}
        )
        status = connection.getresponse().status
    except OSError as error:
        sys.stderr.write(f"web healthcheck: {error}\n")
        return 1
    finally:
        connection.close()
    if status != 200:
        sys.stderr.write(f"web healthcheck: GET {PATH} answered {status}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
