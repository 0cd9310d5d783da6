"""Job kinds: each registers how its jobs are routed, announced and finished.

A kind lives in its own app (masklets.propagation, exports.jobs, videos.ingest) and
registers its `JobKindSpec` when that app is ready. The life cycle (services.py) asks the
spec where a wake-up goes (`route`, at every enqueue and re-enqueue, so a kind can send
work to the one worker that holds a video's state), which event announces each transition,
and what the domain does when a job ends.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.events.kinds import EventKind
from backend.jobs.enums import JobKind, Transition
from backend.jobs.models import Job


def _no_hook(job: Job) -> None:
    return None


def _no_payload(job: Job) -> dict[str, Any]:
    return {}


def _type_and_message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class JobKindSpec:
    kind: JobKind
    # The Celery task (by name) that runs a job of this kind; it takes the job id.
    task: str
    # The queue a wake-up goes to; asked at enqueue and at every re-enqueue.
    route: Callable[[Job], str]
    # The event announcing each transition; a transition missing here records none.
    events: dict[Transition, EventKind]
    # Keys this kind adds to its events' payloads (see events.kinds, e.g. PropagationEvent).
    payload: Callable[[Job], dict[str, Any]] = _no_payload
    # Domain writes in the transaction that finishes the job (e.g. the video becomes ready).
    on_done: Callable[[Job], None] = _no_hook
    on_failed: Callable[[Job], None] = _no_hook
    # The reason a failed job shows for an unexpected exception.
    describe_error: Callable[[BaseException], str] = field(default=_type_and_message)
    # Runs (claims) before a job is given up as failed.
    max_attempts: int = 3


_specs: dict[str, JobKindSpec] = {}


def register(spec: JobKindSpec) -> None:
    _specs[spec.kind] = spec


def spec_for(kind: str) -> JobKindSpec:
    try:
        return _specs[kind]
    except KeyError:
        raise LookupError(f"Job kind {kind!r} is not registered (is its app installed?)") from None
