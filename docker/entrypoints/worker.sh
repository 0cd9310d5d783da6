#!/bin/sh
# Celery worker container (worker-cpu and worker-gpu run this same script).
#   WORKER_QUEUES       comma-separated queues to consume (default: default)
#   WORKER_CONCURRENCY  worker processes; unset means one per CPU core (Celery's default).
#                       A GPU worker runs one process: each process loads its own SAM 2 model.
#   WORKER_POOL         Celery pool; a SAM 2 worker uses "solo": the model, the sessions and
#                       the thread that announces the worker live in that one process.
#   WORKER_NAME         node name prefix; %h appends the container's hostname, which is unique
#                       per replica, so `--scale` never produces two workers with one name.
set -eu

set -- celery -A worker.app worker \
    --queues "${WORKER_QUEUES:-default}" \
    --hostname "${WORKER_NAME:-worker}@%h" \
    --loglevel "${LOG_LEVEL:-INFO}"

if [ -n "${WORKER_POOL:-}" ]; then
    set -- "$@" --pool "$WORKER_POOL"
fi
if [ -n "${WORKER_CONCURRENCY:-}" ]; then
    set -- "$@" --concurrency "$WORKER_CONCURRENCY"
fi

exec "$@"
