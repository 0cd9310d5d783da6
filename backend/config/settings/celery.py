"""Celery: one Redis broker for every mode (the embedded mode starts a Valkey server itself)."""

from backend.config import env

CELERY_BROKER_URL = env.CELERY_BROKER_URL
# Results go to the database (Video.status, events); Celery has no result store. Clicks,
# whose answer the web process waits for, go to the workers over Redis (masklets/jobs.py).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged once it finished, so a worker that dies mid-task leaves it queued.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged message after this many seconds; it must exceed the
# longest task (a long video's frame extraction).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
