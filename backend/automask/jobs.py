"""The auto-annotation job kind on the one job life cycle (backend/jobs).

Its wake-up goes to the SAM 2 worker holding the video's state, like a propagation's (asked
again at every re-enqueue, so the job of a lost worker follows the video to its next
holder). The run is worker/tasks/automask.py.
"""

from typing import Any

from backend.automask.models import AutoKeyFrame, AutoProposal
from backend.events.kinds import EventKind
from backend.jobs import registry
from backend.jobs.enums import JobKind, Transition
from backend.jobs.models import Job
from backend.masklets import jobs

RUN = "automask.run"


def _payload(job: Job) -> dict[str, Any]:
    return {
        "proposed": AutoProposal.objects.filter(job=job).count(),
        "key_frames_done": AutoKeyFrame.objects.filter(job=job).count(),
        "key_frames_total": len(job.params.get("key_frames", [])),
    }


registry.register(
    registry.JobKindSpec(
        kind=JobKind.AUTOMASK,
        task=RUN,
        route=lambda job: jobs.propagation_queue(video_id=job.video_id),
        events={
            Transition.QUEUED: EventKind.AUTOMASK_QUEUED,
            Transition.RUNNING: EventKind.AUTOMASK_RUNNING,
            Transition.PROGRESS: EventKind.AUTOMASK_PROGRESS,
            Transition.REQUEUED: EventKind.AUTOMASK_REQUEUED,
            Transition.DONE: EventKind.AUTOMASK_DONE,
            Transition.FAILED: EventKind.AUTOMASK_FAILED,
            Transition.CANCELLED: EventKind.AUTOMASK_CANCELLED,
        },
        payload=_payload,
    )
)
