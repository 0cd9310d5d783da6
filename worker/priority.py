"""A worker's CPU priority. Background work (SAM 2 on the CPU, exports, frame extraction)
runs at a lower priority than the web, so that on a machine they share a request does not
wait behind it for a core: in the load test (README "Load test") the web's p95 fell by a
third with the SAM 2 worker at nice 10, for 5-20 % fewer clicks served under that overload.

On Linux a priority belongs to a thread, not to the process: every thread running now is
lowered, and threads started later inherit their starter's.
"""

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

THREADS = Path("/proc/self/task")


def priority_lower(niceness: int) -> None:
    """Every thread of this process runs at least at ``niceness`` (a thread already lower
    stays where it is: an unprivileged process cannot raise its priority)."""
    if niceness <= 0:
        return
    threads = [int(tid) for tid in os.listdir(THREADS)] if THREADS.is_dir() else [0]
    for tid in threads:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
        except ProcessLookupError:
            continue  # that thread ended meanwhile
    logger.info("worker CPU priority: nice %d", os.getpriority(os.PRIO_PROCESS, 0))
