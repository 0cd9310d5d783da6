from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from backend.accounts.models import User
from backend.common import rle as rle_codec
from backend.common.exceptions import ApplicationError, ConflictError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.masklets import jobs
from backend.masklets.actions import action_abandon, action_append, action_of_prompt, action_undo
from backend.masklets.enums import ActionKind, ActionState, FrameOrigin
from backend.masklets.models import Masklet, MaskletFrame, Prompt, SessionAction
from backend.projects.enums import Role
from backend.projects.models import Label, Task
from backend.reviews.selectors import masklet_annotator_id
from backend.reviews.services import masklet_mark_reworked
from backend.videos.models import Video


class FrameMaskInput(TypedDict, total=False):
    frame_index: int
    rle: dict[str, Any]
    origin: str
    score: float | None


@transaction.atomic
def masklet_create(
    *,
    video: Video,
    author: User,
    role: str,
    task: Task | None = None,
    label: Label | None = None,
    name: str = "",
    color: str = "#1f77b4",
) -> Masklet:
    """Annotators create masklets inside a task assigned to them; managers anywhere."""
    if not video.is_ready:
        raise ApplicationError(
            "The video is not ready yet (frames are still being extracted).",
            extra={"status": video.status},
            status=409,
        )
    if task is not None and task.video_id != video.pk:
        raise ApplicationError("The task is for another video.", status=400)
    if role == Role.ANNOTATOR and (task is None or task.assignee_id != author.pk):
        raise ApplicationError(
            "Annotators create masklets in a task assigned to them (give task_id).", status=403
        )
    if label is not None and label.project_id != video.project_id:
        raise ApplicationError("The label belongs to another project.", status=400)
    masklet = Masklet.objects.create(
        video=video, task=task, label=label, name=name, color=color, created_by=author
    )
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.MASKLET_CREATED,
        actor_id=author.pk,
        payload={"masklet": masklet.pk, "name": name},
    )
    return masklet


def _bump_version(masklet: Masklet, *, version: int, **changes: Any) -> None:
    """Compare-and-set on the version column: exactly one writer of a version wins.

    Callers hold the masklet's row lock (or created it in this transaction), so an instance
    at the version that won is the row as it was: only what this update changed is set on
    it, without reading the row back."""
    now = timezone.now()
    updated = Masklet.objects.filter(pk=masklet.pk, version=version).update(
        version=F("version") + 1, updated_at=now, **changes
    )
    if updated != 1:
        current = Masklet.objects.filter(pk=masklet.pk).values_list("version", flat=True).first()
        raise ConflictError(
            "This masklet was changed by someone else since you loaded it; reload it and "
            "apply your change again.",
            extra={"your_version": version, "current_version": current},
        )
    if masklet.version != version:  # an instance read at another version: read it again
        masklet.refresh_from_db()
        return
    masklet.version, masklet.updated_at = version + 1, now
    for name, value in changes.items():
        setattr(masklet, name, value)


def _check_not_under_review(masklet: Masklet, verb: str) -> None:
    """Submitted and accepted masklets are frozen: what the verifiers judged is what counts."""
    if not masklet.is_editable:
        raise ApplicationError(
            f"This masklet is {masklet.status} and cannot be {verb}; a manager can reopen it "
            "(override to draft) first.",
            extra={"status": masklet.status},
            status=409,
        )


@transaction.atomic
def masklet_update(*, masklet: Masklet, actor: User, version: int, data: dict[str, Any]) -> Masklet:
    _check_not_under_review(masklet, "changed")
    changes = {k: data[k] for k in ("name", "color") if k in data}
    if "label" in data:
        label = data["label"]
        if label is not None and label.project_id != masklet.video.project_id:
            raise ApplicationError("The label belongs to another project.", status=400)
        changes["label"] = label
    _bump_version(masklet, version=version, **changes)
    event_record(
        project_id=masklet.video.project_id,
        video_id=masklet.video_id,
        kind=EventKind.MASKLET_UPDATED,
        actor_id=actor.pk,
        payload={"masklet": masklet.pk, "version": masklet.version},
    )
    return masklet


@transaction.atomic
def masklet_delete(*, masklet: Masklet, actor: User, version: int) -> None:
    _check_not_under_review(masklet, "deleted")
    _bump_version(masklet, version=version)
    event_record(
        project_id=masklet.video.project_id,
        video_id=masklet.video_id,
        kind=EventKind.MASKLET_DELETED,
        actor_id=actor.pk,
        # Whose it was: the masklet is gone, and blind consensus shows it to them only.
        payload={"masklet": masklet.pk, "annotator": masklet_annotator_id(masklet)},
    )
    # The object leaves the video's SAM 2 state too (other objects keep theirs).
    action_append(
        video_id=masklet.video_id, kind=ActionKind.REMOVE, object_id=masklet.pk, author=actor
    )
    masklet.delete()


@dataclass(frozen=True)
class FramesWritten:
    masklet: Masklet
    # Frames written as a person's edit -> the SAM 2 log entry that gave them to SAM 2.
    edit_actions: dict[int, int]


@transaction.atomic
def masklet_frames_write(
    *,
    masklet: Masklet,
    actor: User | None,
    version: int,
    frames: list[FrameMaskInput],
    delete_frames: list[int] | None = None,
    default_origin: str = FrameOrigin.EDITED,
    trusted: bool = False,
    edits_to_sam2: bool = False,
) -> FramesWritten:
    """Upsert masks for several frames (and delete others) as one versioned change.

    Every RLE must match the video's size and every frame index its frame count; on any
    error nothing is written. With ``edits_to_sam2`` (a person's brush or eraser), frames
    written as ``edited`` are also given to the video's SAM 2 state as mask prompts: one
    log entry per frame that remembers the frame's mask before (so that the edit can be
    undone), and the next propagation starts from them.
    """
    video = masklet.video
    _check_masks_editable(masklet)
    rows = []
    seen: set[int] = set()
    for item in frames:
        index = item["frame_index"]
        _check_frame_index(video, index)
        if index in seen:
            raise ApplicationError(f"Frame {index} is given twice.", status=400)
        seen.add(index)
        if trusted:
            rle = item["rle"]  # encoded by our own worker from a mask of the video's size
        else:
            try:
                rle = rle_codec.validate(item["rle"], height=video.height, width=video.width)
            except rle_codec.RleError as exc:
                raise ApplicationError(f"Frame {index}: {exc}", status=400) from exc
        rows.append(
            MaskletFrame(
                masklet=masklet,
                frame_index=index,
                rle=rle,
                area=rle_codec.area(rle),
                bbox=rle_codec.bbox(rle),
                origin=item.get("origin", default_origin),
                score=item.get("score"),
            )
        )
    deletions = sorted(set(delete_frames or []))
    for index in deletions:
        _check_frame_index(video, index)
        if index in seen:
            raise ApplicationError(f"Frame {index} is both written and deleted.", status=400)

    _bump_version(masklet, version=version)
    masklet_mark_reworked(masklet=masklet, actor=actor)
    edits = [row for row in rows if edits_to_sam2 and row.origin == FrameOrigin.EDITED]
    before = _frames_before(masklet, [row.frame_index for row in edits])
    if rows:
        MaskletFrame.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["masklet", "frame_index"],
            update_fields=["rle", "area", "bbox", "origin", "score", "updated_at"],
        )
    if deletions:
        MaskletFrame.objects.filter(masklet=masklet, frame_index__in=deletions).delete()
    edit_actions = {
        row.frame_index: action_append(
            video_id=video.pk,
            kind=ActionKind.MASK,
            object_id=masklet.pk,
            frame_index=row.frame_index,
            payload={"rle": row.rle, "before": before.get(row.frame_index)},
            author=actor,
        ).seq
        for row in edits
    }
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.MASKLET_FRAMES_WRITTEN,
        actor_id=actor.pk if actor else None,
        payload={
            "masklet": masklet.pk,
            "version": masklet.version,
            "frames": sorted(seen),
            "deleted": deletions,
        },
    )
    return FramesWritten(masklet=masklet, edit_actions=edit_actions)


def _check_masks_editable(masklet: Masklet) -> None:
    if not masklet.is_editable:
        raise ApplicationError(
            "The masklet is under review; its masks cannot change.",
            extra={"status": masklet.status},
            status=409,
        )


def _frames_before(masklet: Masklet, frame_indices: list[int]) -> dict[int, dict[str, Any]]:
    """The stored masks of these frames as an undo will put them back ({rle, origin, score})."""
    if not frame_indices:
        return {}
    return {
        index: {"rle": rle, "origin": origin, "score": score}
        for index, rle, origin, score in MaskletFrame.objects.filter(
            masklet=masklet, frame_index__in=frame_indices
        ).values_list("frame_index", "rle", "origin", "score")
    }


def _check_frame_index(video: Video, index: int) -> None:
    if not 0 <= index < video.frame_count:
        raise ApplicationError(
            f"Frame {index} is outside the video's {video.frame_count} frames "
            f"(0..{video.frame_count - 1}).",
            status=400,
        )


@transaction.atomic
def prompt_add(
    *,
    masklet: Masklet,
    author: User,
    frame_index: int,
    points: list[list[float]],
    box: list[float] | None,
    clear_old: bool = True,
) -> Prompt:
    """Store a prompt at the end of the masklet's sequence and of the video's SAM 2 log.
    Caller holds the masklet lock."""
    if not masklet.is_editable:
        raise ApplicationError(
            "The masklet is under review; it takes no prompts.",
            extra={"status": masklet.status},
            status=409,
        )
    _check_frame_index(masklet.video, frame_index)
    if not points and box is None:
        raise ApplicationError("A prompt needs at least one point or a box.", status=400)
    masklet_mark_reworked(masklet=masklet, actor=author)
    last = Prompt.objects.filter(masklet=masklet).aggregate(m=Max("order"))["m"] or 0
    prompt = Prompt.objects.create(
        masklet=masklet,
        author=author,
        frame_index=frame_index,
        points=points,
        box=box,
        order=last + 1,
        clear_old=clear_old,
    )
    action_append(
        video_id=masklet.video_id,
        kind=ActionKind.PROMPT,
        object_id=masklet.pk,
        frame_index=frame_index,
        payload={"points": points, "box": box, "clear_old": clear_old},
        prompt=prompt,
        author=author,
    )
    event_record(
        project_id=masklet.video.project_id,
        video_id=masklet.video_id,
        kind=EventKind.PROMPT_ADDED,
        actor_id=author.pk,
        payload={"masklet": masklet.pk, "prompt": prompt.pk, "frame_index": frame_index},
    )
    return prompt


def prompt_predict(*, prompt: Prompt) -> dict[str, Any]:
    """SAM 2's mask for a stored prompt, from the worker holding the video's SAM 2 state,
    saved as its frame's mask (origin click) with its event.

    If SAM 2 cannot answer, the prompt is taken back (out of the SAM 2 log, as if never
    given) so that stored prompts always match the masks people saw, and a "prompt.failed"
    event follows its "prompt.added" (the event log is append-only; the dashboard counts
    clicks as added minus failed); the error says why.
    """
    action = action_of_prompt(prompt=prompt)
    try:
        answer = jobs.predict_prompt(prompt=prompt, action=action)
        masklet = prompt_mask_save(
            prompt=prompt, action=action, rle=answer["rle"], score=answer["score"]
        )
    except Exception:
        prompt_withdraw(prompt=prompt, action=action)
        raise
    return {
        "frame_index": prompt.frame_index,
        "masklet": masklet.pk,
        "rle": answer["rle"],
        "score": answer["score"],
        "version": masklet.version,
        "seq": action.seq,
        "engine_ms": answer["engine_ms"],
        "replayed": answer["replayed"],
        "loaded": answer["loaded"],
        "task_ms": answer["task_ms"],
    }


@transaction.atomic
def prompt_withdraw(*, prompt: Prompt, action: SessionAction) -> None:
    """A prompt SAM 2 did not answer leaves the masklet and the log: abandoned if no worker
    applied it yet, else undone (as if never given), unless SAM 2 has built on it since:
    then it stays in effect and only its answer is missing."""
    entry = SessionAction.objects.select_for_update().get(pk=action.pk)
    if entry.state == ActionState.PENDING:
        action_abandon(action_id=entry.pk)
    elif entry.state == ActionState.APPLIED:
        try:
            action_undo(action=entry, author=prompt.author)
        except ApplicationError:
            return
    Prompt.objects.filter(pk=prompt.pk).delete()
    event_record(
        project_id=prompt.masklet.video.project_id,
        video_id=prompt.masklet.video_id,
        kind=EventKind.PROMPT_FAILED,
        actor_id=prompt.author_id,
        payload={
            "masklet": prompt.masklet_id,
            "prompt": prompt.pk,
            "frame_index": prompt.frame_index,
        },
    )


@transaction.atomic
def prompt_mask_save(
    *, prompt: Prompt, action: SessionAction, rle: dict[str, Any], score: float
) -> Masklet:
    """Saves SAM 2's mask for a prompt (encoded by our worker) on the prompt's frame; the
    log entry remembers the frame's mask before, for an undo."""
    masklet = (
        Masklet.objects.select_for_update(of=("self",))
        .select_related("video")
        .filter(pk=prompt.masklet_id)
        .first()
    )
    if masklet is None:
        raise ApplicationError("The masklet was deleted while SAM 2 was answering.", status=404)
    before = _frames_before(masklet, [prompt.frame_index]).get(prompt.frame_index)
    SessionAction.objects.filter(pk=action.pk).update(payload={**action.payload, "before": before})
    return masklet_frames_write(
        masklet=masklet,
        actor=prompt.author,
        version=masklet.version,
        frames=[
            {
                "frame_index": prompt.frame_index,
                "rle": rle,
                "origin": FrameOrigin.CLICK,
                "score": score,
            }
        ],
        trusted=True,
    ).masklet


@transaction.atomic
def prompt_undo(*, prompt: Prompt, actor: User, version: int) -> Masklet:
    """Takes a prompt back as if it had never been given: out of the masklet's prompts and
    of the video's SAM 2 state (an UNDO log entry), and the frame gets back the mask it had
    before, as one versioned change. Caller holds the masklet lock."""
    masklet = prompt.masklet
    _check_masks_editable(masklet)
    action = action_of_prompt(prompt=prompt)
    _undo_action(masklet=masklet, action=action, actor=actor, version=version)
    event_record(
        project_id=masklet.video.project_id,
        video_id=masklet.video_id,
        kind=EventKind.PROMPT_DELETED,
        actor_id=actor.pk,
        payload={
            "masklet": masklet.pk,
            "prompt": prompt.pk,
            "frame_index": prompt.frame_index,
            "version": masklet.version,
        },
    )
    prompt.delete()
    return masklet


@transaction.atomic
def masklet_edit_undo(*, masklet: Masklet, seq: int, actor: User, version: int) -> Masklet:
    """Takes a brush or eraser edit back as if it had never been made: out of the video's
    SAM 2 state, and the frame gets back the mask it had before. Caller holds the masklet
    lock."""
    _check_masks_editable(masklet)
    action = SessionAction.objects.filter(
        video_id=masklet.video_id, seq=seq, object_id=masklet.pk, kind=ActionKind.MASK
    ).first()
    if action is None:
        raise ApplicationError(f"Masklet {masklet.pk} has no edit #{seq}.", status=404)
    _undo_action(masklet=masklet, action=action, actor=actor, version=version)
    return masklet


def _undo_action(*, masklet: Masklet, action: SessionAction, actor: User, version: int) -> None:
    action_undo(action=action, author=actor)
    frame = action.frame_index
    assert frame is not None
    frames: list[FrameMaskInput] = []
    deletions: list[int] = []
    if "before" in action.payload:  # absent: the change never reached the stored masks
        before = action.payload["before"]
        if before:
            frames = [{"frame_index": frame, **before}]
        else:
            deletions = [frame]
    masklet_frames_write(
        masklet=masklet,
        actor=actor,
        version=version,
        frames=frames,
        delete_frames=deletions,
        trusted=True,
    )
