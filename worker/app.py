"""Celery worker entry point.

    celery -A worker.app worker -Q default                   # ingest, exports (no SAM 2)
    celery -A worker.app worker -Q gpu --pool solo           # SAM 2: propagation and clicks

A worker that consumes the `gpu` queue (or is started with SAM2_INTERACTIVE=1) loads SAM 2
once, serves the clicks the web process pushes onto a Redis list of its own (a thread beside
Celery's, worker/clicks.py) and announces itself in Redis. Use the solo pool (one process)
for it: the model and the sessions live in that process.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
django.setup()

from celery.signals import celeryd_after_setup, worker_shutdown  # noqa: E402

import worker.tasks  # noqa: E402,F401 -- registers the SAM 2 tasks
from backend.config.celery import app  # noqa: E402 -- needs django.setup() first
from backend.masklets import jobs  # noqa: E402

_announcing: dict = {}


@celeryd_after_setup.connect
def _setup_sam2_worker(sender, instance, conf, **kwargs):  # type: ignore[no-untyped-def]
    consumed = set(instance.app.amqp.queues.consume_from or {})
    if jobs.GPU_QUEUE not in consumed and os.environ.get("SAM2_INTERACTIVE") != "1":
        return
    from worker import clicks, registry
    from worker.engine import load_engine

    # Announced before the model loads (tens of seconds for the large one), so the workspace
    # says "starting" meanwhile rather than "no SAM 2 worker".
    queue = registry.interactive_queue_name()
    _announcing["queue"] = queue
    _announcing["stop"] = registry.start_announcing(queue)
    load_engine()
    clicks.start_serving(queue, _announcing["stop"])


@worker_shutdown.connect
def _withdraw(**kwargs):  # type: ignore[no-untyped-def]
    if "stop" in _announcing:
        from worker import registry

        _announcing["stop"].set()
        registry.withdraw(_announcing["queue"])


__all__ = ["app"]
