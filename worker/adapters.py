"""Between database rows and sam2engine: frames from storage, prompts in pixels, masks as RLE."""

from collections.abc import Iterable

import cv2
import numpy as np
from django.core.files.storage import default_storage

from backend.common import rle
from backend.masklets.models import SessionAction
from backend.videos.models import Video


class StorageFrames:
    """A video's extracted JPEG frames, read lazily from storage (local folder or S3) as
    [H, W, 3] uint8 RGB: the engine keeps only the features it needs."""

    def __init__(self, video: Video) -> None:
        self.video = video
        self.height, self.width = video.height, video.width
        self.fps = video.fps

    def __len__(self) -> int:
        return self.video.frame_count

    def __getitem__(self, index: int) -> np.ndarray:
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} of a {len(self)}-frame video")
        with default_storage.open(self.video.frame_path(index), "rb") as fh:
            data = np.frombuffer(fh.read(), np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"frame {index} of video {self.video.pk} is not a readable JPEG")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def apply_prompt_entry(session, action: SessionAction, video: Video):  # type: ignore[no-untyped-def]
    """Feeds a PROMPT log entry (coordinates normalised to [0, 1]) to a session; returns the
    engine's FrameMasks of that frame."""
    width, height = video.width, video.height
    payload = action.payload
    points = labels = None
    if payload.get("points"):
        points = [[x * width, y * height] for x, y, _label in payload["points"]]
        labels = [int(label) for _x, _y, label in payload["points"]]
    box = None
    if payload.get("box"):
        x0, y0, x1, y1 = payload["box"]
        box = [x0 * width, y0 * height, x1 * width, y1 * height]
    return session.add_prompt(
        action.frame_index,
        int(action.object_id),
        points=points,
        labels=labels,
        box=box,
        clear_old=bool(payload.get("clear_old", True)) or box is not None,
    )


def apply_mask_entry(session, action: SessionAction, video: Video):  # type: ignore[no-untyped-def]
    """Feeds a MASK log entry (a mask as compressed RLE at the video's size) to a session."""
    mask = rle.decode(action.payload["rle"])
    return session.add_mask(action.frame_index, int(action.object_id), mask.astype(bool))


def mask_of(frame_masks, obj: int) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    """One object's [H, W] uint8 mask and object score from an engine FrameMasks."""
    return next((m, s) for o, m, s in masks_by_object(frame_masks) if o == obj)


def masks_by_object(frame_masks) -> Iterable[tuple[int, np.ndarray, float]]:  # type: ignore[no-untyped-def]
    """(masklet id, [H, W] uint8 mask, object score) per object of an engine FrameMasks.
    An object judged absent (score <= 0) gets an empty mask."""
    binary = frame_masks.binary_masks().numpy()
    scores = frame_masks.object_scores.numpy()
    for obj_id, mask, score in zip(frame_masks.object_ids, binary, scores, strict=True):
        present = bool(np.isfinite(score) and score > 0)
        yield int(obj_id), (mask if present else np.zeros_like(mask)).astype(np.uint8), float(score)


def stability_scores(frame_masks, offset: float = 1.0) -> list[float]:  # type: ignore[no-untyped-def]
    """Per object of an engine FrameMasks: the IoU of its mask cut at -offset and +offset
    (SAM's stability score; 0 where both are empty)."""
    logits = frame_masks.mask_logits.flatten(1)
    inner = (logits > offset).sum(dim=1).double()
    outer = (logits > -offset).sum(dim=1).double()
    ratios = (inner / outer.clamp(min=1)).tolist()
    return [float(r) for r in ratios]


def rle_has_pixels(encoded: dict) -> bool:
    return rle.area(encoded) > 0


def encode(mask: np.ndarray) -> tuple[dict, int, list[float]]:
    encoded = rle.encode(mask)
    return dict(encoded), rle.area(encoded), rle.bbox(encoded)
