"""The event vocabulary: every kind of event the platform records, and its payload.

`event_record` takes an `EventKind` and checks the payload's keys against the kind's
TypedDict (required keys present, no others), so a client can rely on them. The strings are
what clients match on (frontend/src/features/annotate/useWorkspace.ts); a kind is never
renamed without changing its clients in the same commit.
"""

from enum import StrEnum
from typing import Any, NotRequired, TypedDict


class EventKind(StrEnum):
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    MEMBERSHIP_ADDED = "membership.added"
    MEMBERSHIP_UPDATED = "membership.updated"
    MEMBERSHIP_REMOVED = "membership.removed"
    LABEL_CREATED = "label.created"
    LABEL_UPDATED = "label.updated"
    LABEL_DELETED = "label.deleted"
    LABEL_REORDERED = "label.reordered"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_DELETED = "task.deleted"

    VIDEO_UPLOADED = "video.uploaded"
    VIDEO_DELETED = "video.deleted"
    # A manager set the video's dataset attributes (environment, split).
    VIDEO_UPDATED = "video.updated"
    VIDEO_GROUND_TRUTH = "video.ground_truth"
    # The ingest job's life cycle (frame extraction).
    VIDEO_PROCESSING = "video.processing"
    VIDEO_PROGRESS = "video.progress"
    VIDEO_REQUEUED = "video.requeued"
    VIDEO_READY = "video.ready"
    VIDEO_FAILED = "video.failed"

    MASKLET_CREATED = "masklet.created"
    MASKLET_UPDATED = "masklet.updated"
    MASKLET_DELETED = "masklet.deleted"
    MASKLET_FRAMES_WRITTEN = "masklet.frames_written"
    MASKLET_STATUS = "masklet.status"
    MASKLET_REVIEW = "masklet.review"
    MASKLET_COMMENT = "masklet.comment"
    MASKLET_CONSENSUS = "masklet.consensus"
    MASKLETS_IMPORTED = "masklets.imported"
    PROMPT_ADDED = "prompt.added"
    PROMPT_DELETED = "prompt.deleted"
    # SAM 2 could not answer a click: its prompt was removed again (the dashboard does not
    # count it as a click).
    PROMPT_FAILED = "prompt.failed"
    CONSENSUS_ASSIGNED = "consensus.assigned"

    # The propagation job's life cycle; "propagation.frames" is its progress, with the
    # frames each batch wrote.
    PROPAGATION_QUEUED = "propagation.queued"
    PROPAGATION_RUNNING = "propagation.running"
    PROPAGATION_FRAMES = "propagation.frames"
    PROPAGATION_REQUEUED = "propagation.requeued"
    PROPAGATION_DONE = "propagation.done"
    PROPAGATION_FAILED = "propagation.failed"
    PROPAGATION_CANCELLED = "propagation.cancelled"

    # The export job's life cycle.
    EXPORT_QUEUED = "export.queued"
    EXPORT_RUNNING = "export.running"
    EXPORT_PROGRESS = "export.progress"
    EXPORT_REQUEUED = "export.requeued"
    EXPORT_DONE = "export.done"
    EXPORT_FAILED = "export.failed"
    EXPORT_CANCELLED = "export.cancelled"

    # The auto-annotation job's life cycle; "automask.progress" carries the frames each
    # propagation batch wrote, like "propagation.frames".
    AUTOMASK_QUEUED = "automask.queued"
    AUTOMASK_RUNNING = "automask.running"
    AUTOMASK_PROGRESS = "automask.progress"
    AUTOMASK_REQUEUED = "automask.requeued"
    AUTOMASK_DONE = "automask.done"
    AUTOMASK_FAILED = "automask.failed"
    AUTOMASK_CANCELLED = "automask.cancelled"


# ---- projects -------------------------------------------------------------------------


class ProjectCreated(TypedDict):
    name: str


class ProjectUpdated(TypedDict, total=False):
    """The fields that changed, with their new values."""

    name: str
    description: str
    guidelines: str
    frame_step: int
    verifications_required: int
    consensus_k: int


class MembershipChanged(TypedDict):
    user: int
    role: str


class MembershipRemoved(TypedDict):
    user: int


class LabelCreated(TypedDict):
    label: int
    name: str


class LabelUpdated(TypedDict):
    label: int
    name: NotRequired[str]
    color: NotRequired[str]
    order: NotRequired[int]
    hotkey: NotRequired[int | None]


class LabelDeleted(TypedDict):
    label: int


class LabelReordered(TypedDict):
    labels: list[int]


class TaskCreated(TypedDict):
    task: int
    assignee: int | None


class TaskUpdated(TypedDict):
    task: int
    assignee: int | None
    stage: str


class TaskDeleted(TypedDict):
    task: int


# ---- videos ---------------------------------------------------------------------------


class VideoUploaded(TypedDict):
    name: str
    frame_count: int
    width: int
    height: int


class VideoDeleted(TypedDict):
    name: str


class VideoUpdated(TypedDict):
    environment: NotRequired[str]
    split: NotRequired[str]


class VideoGroundTruth(TypedDict):
    video: int
    masklets: list[int]


# ---- masklets -------------------------------------------------------------------------


class MaskletCreated(TypedDict):
    masklet: int
    name: str


class MaskletUpdated(TypedDict):
    masklet: int
    version: int


class MaskletDeleted(TypedDict):
    masklet: int
    # Whose it was (the masklet is gone): blind consensus shows the event to them only.
    annotator: NotRequired[int | None]


class MaskletFramesWritten(TypedDict):
    masklet: int
    version: int
    frames: list[int]
    deleted: list[int]


class MaskletStatusChanged(TypedDict):
    masklet: int
    status: str
    version: int
    round: int


class MaskletReviewed(TypedDict):
    masklet: int
    review: int
    verdict: str
    round: int


class MaskletCommented(TypedDict):
    masklet: int
    comment: int
    resolved: bool


class MaskletConsensus(TypedDict):
    chosen: list[int]
    discarded: list[int]


class MaskletsImported(TypedDict):
    format: str
    file: str
    masklets: list[int]


class PromptAdded(TypedDict):
    masklet: int
    prompt: int
    frame_index: int


class PromptDeleted(TypedDict):
    masklet: int
    prompt: int
    frame_index: int
    version: int


class PromptFailed(TypedDict):
    masklet: int
    prompt: int
    frame_index: int


class ConsensusAssigned(TypedDict):
    video: int
    annotators: list[int]
    tasks: list[int]
    k: int


# ---- jobs -----------------------------------------------------------------------------


class JobEvent(TypedDict):
    """What every job event carries (backend/jobs records them at each transition)."""

    job: int
    job_kind: str
    status: str
    progress_done: int
    progress_total: int
    error: str
    # The run that made the transition: "<name> (host <host>, pid <pid>, queue <queue>)".
    worker: NotRequired[str]
    attempt: NotRequired[int]
    # A requeue after a lost worker names that worker.
    lost_worker: NotRequired[str]


class PropagationEvent(JobEvent):
    # The progress in frames, under the names the workspace reads.
    frames_done: int
    frames_total: int
    # propagation.frames: the frames this batch wrote per masklet id, and the masklets'
    # new versions (clients keep editing without re-reading each masklet).
    frames: NotRequired[dict[str, list[int]]]
    versions: NotRequired[dict[str, int]]
    # propagation.done of an `until_agreement` run: where each pass stopped and why
    # (backend/masklets/propagation.py PassStop: reverse, last, reason, objects).
    stops: NotRequired[list[dict[str, Any]]]


class ExportEvent(JobEvent):
    export: int
    format: str


class AutomaskEvent(JobEvent):
    # Auto masklets made so far, and key frames whose masks were generated.
    proposed: int
    key_frames_done: int
    key_frames_total: int
    # automask.progress after a propagation batch: frames written per masklet id, and the
    # masklets' new versions (as PropagationEvent).
    frames: NotRequired[dict[str, list[int]]]
    versions: NotRequired[dict[str, int]]


class IngestEvent(JobEvent):
    # video.ready: the frames that really decoded, and what the container announced.
    frame_count: NotRequired[int]
    announced_frames: NotRequired[int]


PAYLOADS: dict[EventKind, type] = {
    EventKind.PROJECT_CREATED: ProjectCreated,
    EventKind.PROJECT_UPDATED: ProjectUpdated,
    EventKind.MEMBERSHIP_ADDED: MembershipChanged,
    EventKind.MEMBERSHIP_UPDATED: MembershipChanged,
    EventKind.MEMBERSHIP_REMOVED: MembershipRemoved,
    EventKind.LABEL_CREATED: LabelCreated,
    EventKind.LABEL_UPDATED: LabelUpdated,
    EventKind.LABEL_DELETED: LabelDeleted,
    EventKind.LABEL_REORDERED: LabelReordered,
    EventKind.TASK_CREATED: TaskCreated,
    EventKind.TASK_UPDATED: TaskUpdated,
    EventKind.TASK_DELETED: TaskDeleted,
    EventKind.VIDEO_UPLOADED: VideoUploaded,
    EventKind.VIDEO_DELETED: VideoDeleted,
    EventKind.VIDEO_UPDATED: VideoUpdated,
    EventKind.VIDEO_GROUND_TRUTH: VideoGroundTruth,
    EventKind.MASKLET_CREATED: MaskletCreated,
    EventKind.MASKLET_UPDATED: MaskletUpdated,
    EventKind.MASKLET_DELETED: MaskletDeleted,
    EventKind.MASKLET_FRAMES_WRITTEN: MaskletFramesWritten,
    EventKind.MASKLET_STATUS: MaskletStatusChanged,
    EventKind.MASKLET_REVIEW: MaskletReviewed,
    EventKind.MASKLET_COMMENT: MaskletCommented,
    EventKind.MASKLET_CONSENSUS: MaskletConsensus,
    EventKind.MASKLETS_IMPORTED: MaskletsImported,
    EventKind.PROMPT_ADDED: PromptAdded,
    EventKind.PROMPT_DELETED: PromptDeleted,
    EventKind.PROMPT_FAILED: PromptFailed,
    EventKind.CONSENSUS_ASSIGNED: ConsensusAssigned,
    **{kind: PropagationEvent for kind in EventKind if kind.startswith("propagation.")},
    **{kind: ExportEvent for kind in EventKind if kind.startswith("export.")},
    **{kind: AutomaskEvent for kind in EventKind if kind.startswith("automask.")},
    **dict.fromkeys(
        (
            EventKind.VIDEO_PROCESSING,
            EventKind.VIDEO_PROGRESS,
            EventKind.VIDEO_REQUEUED,
            EventKind.VIDEO_READY,
            EventKind.VIDEO_FAILED,
        ),
        IngestEvent,
    ),
}


def payload_problems(kind: EventKind, payload: dict[str, Any]) -> str:
    """Why the payload does not fit the kind's TypedDict ("" when it does)."""
    schema = PAYLOADS[kind]
    required: frozenset[str] = schema.__required_keys__  # type: ignore[attr-defined]
    allowed = required | schema.__optional_keys__  # type: ignore[attr-defined]
    missing = sorted(required - payload.keys())
    unknown = sorted(payload.keys() - allowed)
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(unknown)}")
    return "; ".join(problems)
