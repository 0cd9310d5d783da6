"""The reference the platform's stored masks must equal: ONE engine session, retaining every
output in RAM (official retention), fed the video's action log in order.

Written independently of worker/states.py on purpose: it reads the log rows and calls the
engine directly, with no snapshots, spilling, undo history or claims.
"""

from dataclasses import dataclass

import numpy as np

from backend.common import rle
from backend.masklets.enums import ActionKind, ActionState, FrameOrigin
from backend.masklets.models import MaskletFrame, SessionAction
from backend.videos.models import Video
from worker.adapters import StorageFrames

# Pixels whose reference logit is this close to 0 may go either way (float noise).
NEAR_ZERO = 1e-3


@dataclass
class Expected:
    logits: np.ndarray  # [H, W] float32 at video resolution
    score: float  # object score logit; <= 0 means "absent here" (empty mask)


def replay(predictor, video: Video) -> dict[tuple[int, int], Expected]:  # type: ignore[no-untyped-def]
    """The last output the reference session gave each (object, frame), in log order."""
    session = predictor.start_session(StorageFrames(video), retain_all_outputs=True)
    out: dict[tuple[int, int], Expected] = {}

    def record(frame_masks, objects) -> None:  # type: ignore[no-untyped-def]
        for i, obj in enumerate(frame_masks.object_ids):
            if obj in objects:
                out[(int(obj), frame_masks.frame_index)] = Expected(
                    frame_masks.mask_logits[i].numpy().copy(),
                    float(frame_masks.object_scores[i]),
                )

    entries = SessionAction.objects.filter(
        video=video, state__in=(ActionState.PENDING, ActionState.APPLIED)
    ).exclude(kind=ActionKind.UNDO)
    w, h = video.width, video.height
    try:
        for entry in entries.order_by("seq"):
            obj = entry.object_id
            if entry.kind == ActionKind.PROMPT:
                p = entry.payload
                points = [[x * w, y * h] for x, y, _ in p["points"]] or None
                labels = [int(label) for _, _, label in p["points"]] or None
                box = None
                if p.get("box"):
                    x0, y0, x1, y1 = p["box"]
                    box = [x0 * w, y0 * h, x1 * w, y1 * h]
                fm = session.add_prompt(
                    entry.frame_index,
                    obj,
                    points=points,
                    labels=labels,
                    box=box,
                    clear_old=p["clear_old"] or box is not None,
                )
                record(fm, {obj})
            elif entry.kind == ActionKind.MASK:
                mask = rle.decode(entry.payload["rle"]).astype(bool)
                session.add_mask(entry.frame_index, obj, mask)
            elif entry.kind == ActionKind.PROPAGATE:
                objects = [o for o in entry.object_ids if o in session.object_ids]
                step = -1 if entry.reverse else 1
                for frame in range(entry.frame_index, entry.frame_last + step, step):
                    record(session.track_frame(frame, entry.reverse, objects), set(objects))
            elif entry.kind == ActionKind.REMOVE and obj in session.object_ids:
                session.remove_object(obj)
    finally:
        session.close()
    return out


def compare(predictor, video: Video) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Compares every stored mask SAM 2 made (origin click or propagated) with the reference;
    returns counts. Raises AssertionError naming the first frame that differs."""
    expected = replay(predictor, video)
    rows = MaskletFrame.objects.filter(
        masklet__video=video, origin__in=(FrameOrigin.CLICK, FrameOrigin.PROPAGATED)
    ).order_by("masklet_id", "frame_index")
    checked = pixels_free = 0
    for row in rows:
        ref = expected.get((row.masklet_id, row.frame_index))
        assert ref is not None, (
            f"masklet {row.masklet_id} frame {row.frame_index} ({row.origin}) was stored but "
            "the reference session never produced it"
        )
        stored = rle.decode(row.rle).astype(bool)
        want = (ref.logits > 0) if ref.score > 0 else np.zeros_like(stored)
        free = np.abs(ref.logits) < NEAR_ZERO if ref.score > 0 else np.zeros_like(stored)
        wrong = (stored != want) & ~free
        assert not wrong.any(), (
            f"masklet {row.masklet_id} frame {row.frame_index} ({row.origin}): "
            f"{int(wrong.sum())} pixels differ from one uninterrupted session"
        )
        checked += 1
        pixels_free += int(free.sum())
    return {"frames": checked, "near_zero_pixels": pixels_free}
