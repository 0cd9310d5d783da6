"""Decide whether a file is a usable video, with OpenCV, before anything is stored."""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from backend.common.exceptions import UnprocessableError


@dataclass(frozen=True)
class VideoProbe:
    width: int
    height: int
    fps: float
    frame_count: int


def probe_video(path: Path) -> VideoProbe:
    """Size, frame rate and frame count of a decodable video; UnprocessableError otherwise.

    Decodes the first and the last frame: a file cut short usually keeps a header that
    promises frames it no longer holds. On such a file a seek to the last frame lands on the
    last frame that is really there, so the position after the read tells them apart.
    """
    if path.stat().st_size == 0:
        raise UnprocessableError("The file is empty (0 bytes).")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise UnprocessableError(
                "The file is not a video that can be decoded (unknown format or damaged container)."
            )
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if frame_count <= 0:
            raise UnprocessableError("The video contains no frames.")
        if width <= 0 or height <= 0:
            raise UnprocessableError("The video has no picture size.")
        if not math.isfinite(fps) or fps <= 0:
            raise UnprocessableError("The video has no usable frame rate.")
        ok, frame = capture.read()
        if not ok or frame is None:
            raise UnprocessableError("The first frame of the video cannot be decoded.")
        if frame_count > 1:
            capture.set(cv2.CAP_PROP_POS_FRAMES, frame_count - 1)
            ok, frame = capture.read()
            position = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
            # One frame of slack: some containers count the last frame differently.
            if not ok or frame is None or position < frame_count - 1:
                raise UnprocessableError(
                    f"The video is truncated or damaged: its header announces {frame_count} "
                    f"frames but the last one cannot be decoded."
                )
        return VideoProbe(width=width, height=height, fps=fps, frame_count=frame_count)
    finally:
        capture.release()


def iter_frames(path: Path) -> Iterator[np.ndarray]:
    """Decoded frames in order, BGR uint8 [H, W, 3]."""
    capture = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            yield frame
    finally:
        capture.release()
