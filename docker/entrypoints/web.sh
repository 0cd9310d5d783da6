#!/bin/sh
# Web container: Django's ASGI application under uvicorn, behind nginx.
# Migrations are not applied here: the one-shot `migrate` service does that once per
# deployment, before any web replica or worker starts (docker-compose.yml).
set -eu

# --proxy-headers: the client address and scheme come from nginx's X-Forwarded-For and
# X-Forwarded-Proto. Only nginx reaches port 8000 (it is not published), so any peer on the
# compose network may be trusted for them; narrow FORWARDED_ALLOW_IPS if that ever changes.
# --lifespan off: Django does not implement the ASGI lifespan protocol.
exec uvicorn backend.config.asgi:application \
    --host 0.0.0.0 \
    --port 8000 \
    --workers "${WEB_CONCURRENCY:-2}" \
    --proxy-headers \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-*}" \
    --lifespan off \
    --no-server-header
