#!/bin/sh
# One-shot `migrate` service: brings the database schema up to date, then exits.
# web and the workers wait for it (depends_on: service_completed_successfully), so a new image
# never serves requests against an old schema, and scaled replicas never race to migrate.
set -eu

exec python backend/manage.py migrate --noinput
