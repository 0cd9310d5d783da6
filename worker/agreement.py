"""When a propagation that re-propagates only what changed (``until_agreement``) stops.

After a correction on frame f inside a span propagated before, SAM 2's new masks usually
agree with the stored ones again a few frames later: from there on, recomputing changes
(almost) nothing. Per object and pass, the run drops the object once its new masks overlap
the stored ones with IoU >= AGREEMENT_IOU on AGREEMENT_FRAMES consecutive frames, or before
the next frame a person made for it (a prompt or a mask edit: SAM 2 is conditioned there
anyway, and that frame is the person's). The pass ends when no object is left.

The decision reads the stored masks, but what the state saw is the action log: each frame
is recorded before it is computed, and an object that leaves opens a new log entry without
it, so a replay tracks exactly the frames this run tracked, with no rule to re-evaluate.
"""

import numpy as np

from backend.common import rle
from backend.masklets.enums import ActionKind, ActionState, FrameOrigin, StopReason
from backend.masklets.models import MaskletFrame, SessionAction
from backend.masklets.propagation import (
    AGREEMENT_FRAMES,
    AGREEMENT_IOU,
    ObjectStop,
    PassStop,
)

# Stored frames that are a person's: a click's answer or a mask edit.
PERSON_ORIGINS = (FrameOrigin.CLICK, FrameOrigin.EDITED)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two [H, W] masks; two empty masks agree (1.0)."""
    a, b = a.astype(bool), b.astype(bool)
    union = int(np.count_nonzero(a | b))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(a & b)) / union


def person_made_frames(*, video_id: int, objects: list[int]) -> dict[int, set[int]]:
    """Per object, the frames a person made: prompts and mask edits in effect in the log,
    and stored frames whose origin is a click or an edit."""
    frames: dict[int, set[int]] = {obj: set() for obj in objects}
    entries = SessionAction.objects.filter(
        video_id=video_id,
        object_id__in=objects,
        kind__in=(ActionKind.PROMPT, ActionKind.MASK),
        state__in=(ActionState.PENDING, ActionState.APPLIED),
    ).values_list("object_id", "frame_index", "payload")
    for obj, frame, payload in entries:
        # A start mask (an imported masklet's mask given to SAM 2 to start from) is not an edit.
        if frame is not None and not (payload or {}).get("start"):
            frames[int(obj)].add(int(frame))
    stored = MaskletFrame.objects.filter(
        masklet_id__in=objects, origin__in=PERSON_ORIGINS
    ).values_list("masklet_id", "frame_index")
    for obj, frame in stored:
        frames[int(obj)].add(int(frame))
    return frames


class StopRule:
    """The stop rule of one pass: which objects go on tracking, and where each stopped."""

    def __init__(self, *, video_id: int, start_frame: int, reverse: bool, objects: list[int]):
        self.start_frame = start_frame
        self.reverse = reverse
        self.person = person_made_frames(video_id=video_id, objects=objects)
        self.streak = dict.fromkeys(objects, 0)
        self.last = dict.fromkeys(objects, -1)
        self.stops: dict[int, ObjectStop] = {}
        self.pass_last = -1

    def before(self, frame: int, objects: list[int]) -> list[int]:
        """The objects that track ``frame``: those for which a person made it stop before it
        (the start frame is the correction itself and is always tracked)."""
        going = []
        for obj in objects:
            if frame != self.start_frame and frame in self.person.get(obj, ()):
                self._stop(obj, StopReason.PERSON_MADE, frame)
            else:
                going.append(obj)
        return going

    def after(self, frame: int, masks: dict[int, np.ndarray]) -> list[int]:
        """Compares the frame's new masks with the stored ones; returns the objects that go
        on (those whose masks have not agreed on AGREEMENT_FRAMES frames in a row)."""
        self.pass_last = frame
        stored = dict(
            MaskletFrame.objects.filter(masklet_id__in=list(masks), frame_index=frame).values_list(
                "masklet_id", "rle"
            )
        )
        going = []
        for obj, mask in masks.items():
            self.last[obj] = frame
            # The start frame holds the correction: it never counts as agreeing.
            agrees = (
                frame != self.start_frame
                and obj in stored
                and iou(mask, rle.decode(stored[obj])) >= AGREEMENT_IOU
            )
            self.streak[obj] = self.streak[obj] + 1 if agrees else 0
            if self.streak[obj] >= AGREEMENT_FRAMES:
                self._stop(obj, StopReason.AGREEMENT, frame)
            else:
                going.append(obj)
        return going

    def _stop(self, obj: int, reason: StopReason, at: int) -> None:
        self.stops[obj] = ObjectStop(last=self.last[obj], reason=reason, at=at)

    def finish(self, *, pass_end: int) -> PassStop:
        """Where the pass stopped: objects still going reached the pass's last frame."""
        for obj in self.streak:
            if obj not in self.stops:
                self._stop(obj, StopReason.END, pass_end)
        # The pass's reason is that of the object that stopped last.
        deciding = max(
            self.stops.values(),
            key=lambda s: (
                s["last"] >= 0,
                -s["last"] if self.reverse else s["last"],
                s["reason"] == StopReason.END,
            ),
        )
        return PassStop(
            reverse=self.reverse,
            last=self.pass_last,
            reason=deciding["reason"],
            objects={str(obj): stop for obj, stop in sorted(self.stops.items())},
        )
