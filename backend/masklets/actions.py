"""The action log of a video's SAM 2 state: append, claim, abandon, undo, extend, read.

A video has ONE SAM 2 state, defined by its ordered action log (prompts, masks given as
prompts, propagation runs, undos, object removals): the worker holding the video applies the
entries in ``seq`` order, and replaying the log in one fresh session gives the same state.
The web process appends what people do; the worker appends the propagation it runs.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.masklets.enums import ActionKind, ActionState
from backend.masklets.models import Prompt, SessionAction, SessionLog

# Where workers keep a video's SAM 2 state in the storage (outputs, object snapshots, head).
STATE_PREFIX = "sam2state"


def state_folder(video_id: int) -> str:
    return f"{STATE_PREFIX}/{video_id}"


# Kinds an UNDO can take back: what a person gave SAM 2 on one frame.
UNDOABLE = (ActionKind.PROMPT, ActionKind.MASK)


def action_append(
    *,
    video_id: int,
    kind: str,
    object_id: int | None = None,
    object_ids: Sequence[int] = (),
    frame_index: int | None = None,
    frame_last: int | None = None,
    reverse: bool = False,
    payload: dict[str, Any] | None = None,
    prompt: Prompt | None = None,
    author: User | None = None,
    state: str = ActionState.PENDING,
) -> SessionAction:
    """Appends an entry at the end of the video's log.

    Must run inside the transaction of the change it records: the log head's row stays
    locked until that transaction commits, so entries are numbered in commit order.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("action_append must run inside a transaction")
    seq = _log_advance(video_id)
    if seq is None:  # the video's first entry
        SessionLog.objects.bulk_create([SessionLog(video_id=video_id)], ignore_conflicts=True)
        seq = _log_advance(video_id)
    return SessionAction.objects.create(
        video_id=video_id,
        seq=seq,
        kind=kind,
        state=state,
        object_id=object_id,
        object_ids=list(object_ids),
        frame_index=frame_index,
        frame_last=frame_last,
        reverse=reverse,
        payload=payload or {},
        prompt=prompt,
        author=author,
    )


def _log_advance(video_id: int) -> int | None:
    """Moves the head of the video's log one on and returns it (None: the video has no log
    yet), in one statement (PostgreSQL and SQLite both return updated rows); the row stays
    locked until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(_log_advance_sql(connection.vendor), [video_id])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@functools.cache
def _log_advance_sql(vendor: str) -> str:
    """_log_advance's statement, written once per database vendor (names from the model)."""
    meta, quote = SessionLog._meta, connection.ops.quote_name
    table, head, key = (
        quote(name) for name in (meta.db_table, meta.get_field("head").column, meta.pk.column)
    )
    return f"UPDATE {table} SET {head} = {head} + 1 WHERE {key} = %s RETURNING {head}"  # noqa: S608


def action_claim(*, action_id: int) -> bool:
    """A worker is about to apply a pending entry: True unless the web gave up on it first
    (then it is never part of the state). Entries already applied stay applied."""
    claimed = SessionAction.objects.filter(pk=action_id, state=ActionState.PENDING).update(
        state=ActionState.APPLIED
    )
    if claimed:
        return True
    return SessionAction.objects.filter(pk=action_id, state=ActionState.APPLIED).exists()


def action_abandon(*, action_id: int) -> bool:
    """The web gives up on an entry no worker has applied: True when it is now abandoned
    (never part of the state); False when a worker applied it already."""
    return bool(
        SessionAction.objects.filter(pk=action_id, state=ActionState.PENDING).update(
            state=ActionState.ABANDONED
        )
    )


def _later_touching(action: SessionAction) -> bool:
    """Whether a later entry that counts acts on the same object (a prompt, mask, removal,
    or a propagation run that tracked it)."""
    later = SessionAction.objects.filter(
        video_id=action.video_id,
        seq__gt=action.seq,
        state__in=(ActionState.PENDING, ActionState.APPLIED),
    ).exclude(kind=ActionKind.UNDO)
    if later.filter(object_id=action.object_id).exists():
        return True
    runs = later.filter(kind=ActionKind.PROPAGATE).values_list("object_ids", flat=True)
    return any(action.object_id in ids for ids in runs)


@transaction.atomic
def action_undo(*, action: SessionAction, author: User | None) -> SessionAction:
    """Takes an entry back as if it had never happened: marks it undone and appends an UNDO
    entry, which makes the worker restore the object's state from before it.

    Only an object's latest prompt or mask can be taken back: what SAM 2 computed after it
    from it (a propagation, a later click on the object) would otherwise contradict the state.
    """
    locked = SessionAction.objects.select_for_update().get(pk=action.pk)
    if locked.kind not in UNDOABLE or locked.state not in (
        ActionState.PENDING,
        ActionState.APPLIED,
    ):
        raise ApplicationError(
            "Only a prompt or mask edit that is still in effect can be undone.",
            extra={"seq": locked.seq, "kind": locked.kind, "state": locked.state},
            status=409,
        )
    if _later_touching(locked):
        raise ApplicationError(
            "SAM 2 has used this change since (a propagation or a later change of the same "
            "object); it cannot be undone. Correct the mask with a new click or edit instead.",
            extra={"seq": locked.seq},
            status=409,
        )
    locked.state = ActionState.UNDONE
    locked.save(update_fields=["state"])
    return action_append(
        video_id=locked.video_id,
        kind=ActionKind.UNDO,
        object_id=locked.object_id,
        frame_index=locked.frame_index,
        payload={"target": locked.seq},
        author=author,
        # A marker: the worker restores the object if it had applied the target.
        state=ActionState.APPLIED,
    )


@transaction.atomic
def action_propagate_frame(
    *,
    video_id: int,
    current: SessionAction | None,
    frame_index: int,
    reverse: bool,
    object_ids: Sequence[int],
    job_id: int | None,
) -> SessionAction:
    """Records that the worker is about to track ``frame_index``, before it computes it.

    Extends ``current`` (the run's entry so far) while it is still the last entry of the
    log; once anything else was appended after it, opens a new entry, so the log keeps the
    order in which the state saw the frames and the other actions.
    """
    if current is not None:
        head = (
            SessionLog.objects.select_for_update().values_list("head", flat=True).get(pk=video_id)
        )
        if head == current.seq:
            SessionAction.objects.filter(pk=current.pk).update(frame_last=frame_index)
            current.frame_last = frame_index
            return current
    return action_append(
        video_id=video_id,
        kind=ActionKind.PROPAGATE,
        object_ids=object_ids,
        frame_index=frame_index,
        frame_last=frame_index,
        reverse=reverse,
        payload={"job": job_id},
        state=ActionState.APPLIED,
    )


def action_list_after(*, video_id: int, seq: int) -> list[SessionAction]:
    """Entries after ``seq``, in order (the ones a worker at ``seq`` has not seen)."""
    return list(SessionAction.objects.filter(video_id=video_id, seq__gt=seq).order_by("seq"))


def action_head(*, video_id: int) -> int:
    """The last sequence number of the video's log (0 when empty)."""
    head = SessionLog.objects.filter(pk=video_id).values_list("head", flat=True).first()
    return head or 0


def action_of_prompt(*, prompt: Prompt) -> SessionAction:
    action = SessionAction.objects.filter(prompt=prompt, kind=ActionKind.PROMPT).first()
    if action is None:
        raise ApplicationError("This prompt is not in the video's SAM 2 log.", status=409)
    return action


def object_has_state(*, video_id: int, object_id: int) -> bool:
    """Whether the log gives the object any prompt or mask still in effect."""
    return SessionAction.objects.filter(
        video_id=video_id,
        object_id=object_id,
        kind__in=UNDOABLE,
        state__in=(ActionState.PENDING, ActionState.APPLIED),
    ).exists()
