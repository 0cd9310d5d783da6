"""Workers yield the CPU to the web: every thread of a worker process runs at WORKER_NICE."""

import json
import os
import subprocess
import sys

from backend.config import env

# Run in a child process: a priority once lowered cannot be raised again without privileges.
PROBE = """
import json, os, threading
os.nice({start})  # as `nice -n {start} celery ...` would start it
from celery.signals import celeryd_init
import worker.app  # connects the worker's start-up handlers
stop = threading.Event()
before = threading.Thread(target=stop.wait)
before.start()
celeryd_init.send(sender="probe", instance=None, conf=None, options={{}})
after = threading.Thread(target=stop.wait)
after.start()
nice = {{int(t): os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir("/proc/self/task")}}
stop.set()
print(json.dumps({{"threads": len(nice), "nice": sorted(set(nice.values()))}}))
"""


def _worker_start(start: int, **environ: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(start=start)],
        env={**os.environ, "PYTHONPATH": str(env.REPO_DIR), **environ},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_thread_of_a_starting_worker_runs_at_the_nice_it_is_given():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    wanted = min(19, base + 7)
    seen = _worker_start(0, WORKER_NICE=str(wanted))
    # the main thread, one started before and one after
    assert seen["threads"] >= 3
    assert seen["nice"] == [wanted]


def test_a_worker_started_lower_stays_there():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    start = min(19, base + 9) - base  # a worker started with `nice -n ...`
    seen = _worker_start(start, WORKER_NICE=str(max(1, base + start - 5)))
    assert seen["nice"] == [base + start]
