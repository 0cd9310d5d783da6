import numpy as np
import pytest

from backend.common import rle as rle_codec
from backend.masklets.enums import FrameOrigin
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects.models import Task
from backend.videos.models import Video


@pytest.fixture(autouse=True)
def _sam2_tasks_inline():
    """Quality tests never run SAM 2 (no clicks are predicted): no worker tasks needed."""


def square(y0: int, x0: int, size: int = 10, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask[y0 : y0 + size, x0 : x0 + size] = 1
    return mask


def add_masklet(
    video: Video,
    masks: dict[int, np.ndarray],
    *,
    task: Task | None = None,
    created_by=None,
    origin: str = FrameOrigin.EDITED,
    **fields,
) -> Masklet:
    """A masklet with one stored mask per frame (written straight to the database)."""
    masklet = Masklet.objects.create(
        video=video,
        task=task,
        created_by=created_by or (task.assignee if task else None),
        **fields,
    )
    for index, mask in masks.items():
        rle = rle_codec.encode(mask)
        MaskletFrame.objects.create(
            masklet=masklet,
            frame_index=index,
            rle=rle,
            area=rle_codec.area(rle),
            bbox=rle_codec.bbox(rle),
            origin=origin,
        )
    return masklet
