"""Celery worker entry point.

    celery -A worker.app worker -Q default                   # ingest, exports (no SAM 2)
    celery -A worker.app worker -Q gpu --pool solo           # SAM 2: propagation and clicks

A worker that consumes the `gpu` queue (or is started with SAM2_INTERACTIVE=1) loads SAM 2
once, serves the clicks the web process pushes onto a Redis list of its own (a thread beside
Celery's, worker/clicks.py) and announces itself in Redis. Use the solo pool (one process)
for it: the model and the sessions live in that process.

Every worker lowers its CPU priority to WORKER_NICE as it starts (worker/priority.py): on a
machine it shares with the web, requests come first.

Every worker also runs the job recovery loop (backend/jobs/recovery.py): in the process that
runs tasks (a solo or threads pool's own process; each child of a prefork pool, since a
database connection pool must not cross a fork).
"""

import os
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
django.setup()

from celery.signals import (  # noqa: E402
    celeryd_after_setup,
    celeryd_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings  # noqa: E402

import worker.tasks  # noqa: E402,F401 -- registers the SAM 2 tasks
from backend.config.celery import app  # noqa: E402 -- needs django.setup() first

# This process is a worker: what it queues (the recovery loop's wake-ups) goes to the broker,
# even under the test settings, which run tasks inline in the processes that send them.
app.conf.task_always_eager = False
from backend.jobs.recovery import start_recovery_loop  # noqa: E402
from backend.masklets import jobs  # noqa: E402
from worker.priority import priority_lower  # noqa: E402

_announcing: dict = {}
_recovery_stop = threading.Event()


@celeryd_init.connect
def _yield_the_cpu_to_the_web(**kwargs):  # type: ignore[no-untyped-def]
    """Before the pool, the model and the worker's threads start: they inherit it."""
    priority_lower(settings.WORKER_NICE)


@worker_ready.connect
def _recover_in_this_process(sender, **kwargs):  # type: ignore[no-untyped-def]
    pool = getattr(getattr(sender, "controller", None), "pool_cls", "")
    if "prefork" in str(getattr(pool, "__module__", pool)):
        return  # its children run the loop (_recover_in_child)
    start_recovery_loop(_recovery_stop)


@worker_process_init.connect
def _recover_in_child(**kwargs):  # type: ignore[no-untyped-def]
    start_recovery_loop(_recovery_stop)


@celeryd_after_setup.connect
def _setup_sam2_worker(sender, instance, conf, **kwargs):  # type: ignore[no-untyped-def]
    consumed = set(instance.app.amqp.queues.consume_from or {})
    if jobs.GPU_QUEUE not in consumed and os.environ.get("SAM2_INTERACTIVE") != "1":
        return
    from worker import clicks, prefetch, registry
    from worker.engine import load_engine

    # Announced before the model loads (tens of seconds for the large one), so the workspace
    # says "starting" meanwhile rather than "no SAM 2 worker".
    queue = registry.interactive_queue_name()
    # Propagation jobs of the videos this worker holds are woken on a queue of its own.
    instance.app.amqp.queues.select_add(queue)
    _announcing["queue"] = queue
    _announcing["stop"] = registry.start_announcing(queue)
    load_engine()
    clicks.start_serving(queue, _announcing["stop"])
    prefetch.start_serving(queue, _announcing["stop"])


@worker_shutdown.connect
def _withdraw(**kwargs):  # type: ignore[no-untyped-def]
    _recovery_stop.set()
    if "stop" in _announcing:
        from worker import registry

        _announcing["stop"].set()
        registry.withdraw(_announcing["queue"])


__all__ = ["app"]
