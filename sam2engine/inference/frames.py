"""Lazy frame sources for video sessions.

``open_frames(source)`` accepts a folder of JPEG frames, a video file (decoded with OpenCV), or any
indexable sequence of ``uint8 [H, W, 3]`` RGB arrays, and returns a :class:`FrameSource`: ``len``,
``source[i]`` -> ``uint8 [H, W, 3]`` RGB numpy array at the video's own resolution, ``height``,
``width`` and ``fps`` (None where unknown). Frames are decoded on demand; a source never holds more
than a small, bounded number of decoded frames, so a session over a long video stays in bounded
memory. Arrays handed out from a cache are read-only (they are shared between callers).
"""

from __future__ import annotations

import operator
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

JPEG_SUFFIXES = (".jpg", ".jpeg")


class FrameDecodeError(ValueError):
    """A frame (or the whole file) could not be decoded, or does not fit the video's frame size."""


@runtime_checkable
class FrameSource(Protocol):
    """What a video session reads frames from."""

    @property
    def height(self) -> int: ...

    @property
    def width(self) -> int: ...

    @property
    def fps(self) -> float | None: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> np.ndarray: ...


def _check_index(index: Any, length: int) -> int:
    # Negative indices are refused rather than wrapped: a frame index of -1 reaching a session is a
    # caller bug, and silently meaning "the last frame" would hide it.
    try:
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"frame index must be an integer, not {type(index).__name__}") from None
    if not 0 <= i < length:
        raise IndexError(
            f"frame index {i} out of range: the video has {length} frames (0..{length - 1})"
        )
    return i


def _readonly(frame: np.ndarray) -> np.ndarray:
    frame.flags.writeable = False
    return frame


class _FrameCache:
    """A small LRU of decoded frames, keyed by index."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()

    def get(self, index: int) -> np.ndarray | None:
        frame = self._items.get(index)
        if frame is not None:
            self._items.move_to_end(index)
        return frame

    def put(self, index: int, frame: np.ndarray) -> None:
        self._items[index] = frame
        self._items.move_to_end(index)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, index: int) -> bool:
        return index in self._items


class _FrameSourceBase(ABC):
    """Shared behaviour: iteration, repr and the mandatory attributes."""

    height: int
    width: int
    fps: float | None

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, index: int) -> np.ndarray: ...

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        fps = f", fps={self.fps:g}" if self.fps else ""
        return f"{type(self).__name__}({len(self)} frames, {self.height}x{self.width}{fps})"

    # Deliberately concrete: sources that hold no decoder (folders, in-memory sequences) inherit
    # this no-op, so only the video-file source overrides it.
    def close(self) -> None:  # noqa: B027 - optional hook with a no-op default, not abstract
        """Release decoder resources (a no-op for sources that hold none)."""

    def __enter__(self) -> _FrameSourceBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _natural_key(name: str) -> tuple[Any, ...]:
    # "2.jpg" < "10.jpg"; also orders "frame_2" before "frame_10". Digit runs compare as numbers.
    parts = re.split(r"(\d+)", name)
    return tuple((0, int(p), p) if p.isdigit() else (1, 0, p.lower()) for p in parts)


class JpegFolderFrames(_FrameSourceBase):
    """A folder of JPEG files, one per frame, in numeric name order.

    For example ``0.jpg``, ``00001.jpg``, ...
    """

    def __init__(
        self, folder: str | os.PathLike[str], *, fps: float | None = None, cache_frames: int = 4
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.exists():
            raise FileNotFoundError(f"frame folder {self.folder} does not exist")
        if not self.folder.is_dir():
            raise NotADirectoryError(f"{self.folder} is not a folder")
        names = [
            e.name
            for e in os.scandir(self.folder)
            if e.is_file() and e.name.lower().endswith(JPEG_SUFFIXES)
        ]
        if not names:
            raise ValueError(f"frame folder {self.folder} has no JPEG frames (*.jpg, *.jpeg)")
        self.paths: list[Path] = [self.folder / n for n in sorted(names, key=_natural_key)]
        self.fps = fps
        self._cache = _FrameCache(cache_frames)
        self._lock = threading.Lock()
        first = self._decode(0)
        self.height, self.width = int(first.shape[0]), int(first.shape[1])
        self._cache.put(0, _readonly(first))

    def __len__(self) -> int:
        return len(self.paths)

    def _decode(self, i: int) -> np.ndarray:
        path = self.paths[i]
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FrameDecodeError(f"cannot decode frame {i} ({path})")
        if hasattr(self, "height") and bgr.shape[:2] != (self.height, self.width):
            raise FrameDecodeError(
                f"frame {i} ({path}) is {bgr.shape[0]}x{bgr.shape[1]}, "
                f"the first frame is {self.height}x{self.width}"
            )
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def __getitem__(self, index: int) -> np.ndarray:
        i = _check_index(index, len(self))
        with self._lock:
            frame = self._cache.get(i)
            if frame is None:
                frame = _readonly(self._decode(i))
                self._cache.put(i, frame)
            return frame


class VideoFileFrames(_FrameSourceBase):
    """A video file decoded with OpenCV, never held whole.

    Sequential reads (forward propagation) cost one decode per frame. A short jump forward skips
    frames with ``grab``. Any other access seeks, which makes the decoder restart from the previous
    keyframe (hundreds of ms); a backward seek therefore decodes a whole block of frames ending at
    the requested one into the cache, so a reverse pass pays one seek per block instead of one per
    frame.
    """

    #: A forward jump up to this many frames is served by skipping (grab) instead of seeking.
    MAX_FORWARD_SKIP = 48

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        cache_bytes: int = 64 << 20,
        max_cache_frames: int = 32,
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"video file {self.path} does not exist")
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path} is not a file")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise FrameDecodeError(f"cannot open {self.path}: not a video that OpenCV can decode")
        self._lock = threading.Lock()
        self._next = 0  # index of the frame the next cap.read() returns
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            self._cap.release()
            raise FrameDecodeError(f"cannot decode the first frame of {self.path}")
        self._next = 1
        # The decoded frame is the truth for the size (OpenCV applies rotation metadata).
        self.height, self.width = int(bgr.shape[0]), int(bgr.shape[1])
        fps = float(self._cap.get(cv2.CAP_PROP_FPS))
        self.fps = fps if fps > 0 else None
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._length = count if count > 0 else self._count_frames()
        frame_bytes = self.height * self.width * 3
        self._cache = _FrameCache(max(2, min(max_cache_frames, cache_bytes // frame_bytes)))
        self._cache.put(0, _readonly(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))

    def _count_frames(self) -> int:
        # Containers without a frame count (some streams): walk the file once, without converting.
        n = 1  # frame 0 was read already
        while self._cap.grab():
            n += 1
        self._seek(0)
        return n

    def __len__(self) -> int:
        return self._length

    def close(self) -> None:
        with self._lock:
            self._cap.release()

    def _seek(self, i: int) -> None:
        if not self._cap.set(cv2.CAP_PROP_POS_FRAMES, i):
            raise FrameDecodeError(f"cannot seek to frame {i} of {self.path}")
        self._next = i

    def _read_next(self) -> np.ndarray:
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            raise FrameDecodeError(
                f"cannot decode frame {self._next} of {self.path} "
                f"(the file reports {self._length} frames)"
            )
        frame = _readonly(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        self._cache.put(self._next, frame)
        self._next += 1
        return frame

    def __getitem__(self, index: int) -> np.ndarray:
        i = _check_index(index, len(self))
        with self._lock:
            frame = self._cache.get(i)
            if frame is not None:
                return frame
            if self._next < i <= self._next + self.MAX_FORWARD_SKIP:
                while self._next < i:
                    if not self._cap.grab():
                        raise FrameDecodeError(f"cannot decode frame {self._next} of {self.path}")
                    self._next += 1
            elif i < self._next:
                # Backward: decode the block [start, i] so the next (lower) indices are cached too.
                # Stop before a frame that is still cached, to keep the block's own frames.
                start = max(0, i - self._cache.capacity + 1)
                while start < i and start in self._cache:
                    start += 1
                self._seek(start)
                while self._next < i:
                    self._read_next()
            elif i != self._next:
                self._seek(i)
            return self._read_next()


class SequenceFrames(_FrameSourceBase):
    """Any indexable sequence of ``uint8 [H, W, 3]`` RGB frames (a list, an ``[N, H, W, 3]`` array,
    or a lazy object with ``__len__``/``__getitem__``); frames are checked as they are read."""

    def __init__(
        self, frames: Sequence[np.ndarray] | np.ndarray, *, fps: float | None = None
    ) -> None:
        if isinstance(frames, np.ndarray) and frames.ndim != 4:
            raise ValueError(f"an array of frames must be [N, H, W, 3], got shape {frames.shape}")
        self._frames = frames
        self.fps = fps
        if len(frames) == 0:
            raise ValueError("the frame sequence is empty")
        first = self._check(0, frames[0], None)
        self.height, self.width = int(first.shape[0]), int(first.shape[1])

    def __len__(self) -> int:
        return len(self._frames)

    def _check(self, i: int, frame: Any, expected: tuple[int, int] | None) -> np.ndarray:
        if (
            not isinstance(frame, np.ndarray)
            or frame.dtype != np.uint8
            or frame.ndim != 3
            or frame.shape[2] != 3
        ):
            got = (
                f"{frame.dtype} {frame.shape}"
                if isinstance(frame, np.ndarray)
                else type(frame).__name__
            )
            raise FrameDecodeError(f"frame {i} must be a uint8 [H, W, 3] RGB array, got {got}")
        if expected is not None and frame.shape[:2] != expected:
            raise FrameDecodeError(
                f"frame {i} is {frame.shape[0]}x{frame.shape[1]}, "
                f"the first frame is {expected[0]}x{expected[1]}"
            )
        return frame

    def __getitem__(self, index: int) -> np.ndarray:
        i = _check_index(index, len(self))
        return self._check(i, self._frames[i], (self.height, self.width))


def open_frames(
    source: str | os.PathLike[str] | Sequence[np.ndarray] | np.ndarray | FrameSource,
    *,
    fps: float | None = None,
) -> FrameSource:
    """A lazy frame source for ``source``: a folder of JPEGs, a video file, or a frame sequence.

    ``fps`` fills in the rate for sources that do not carry one (JPEG folders, sequences).
    Raises FileNotFoundError (missing path), ValueError (empty folder or sequence) or
    FrameDecodeError (a file OpenCV cannot decode).
    """
    if isinstance(source, _FrameSourceBase):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            return JpegFolderFrames(path, fps=fps)
        if path.is_file():
            return VideoFileFrames(path)
        raise FileNotFoundError(f"no such frame folder or video file: {path}")
    if isinstance(source, FrameSource) and not isinstance(source, (list, tuple, np.ndarray)):
        return source  # someone else's implementation of the protocol
    if hasattr(source, "__len__") and hasattr(source, "__getitem__"):
        return SequenceFrames(source, fps=fps)
    raise TypeError(
        f"cannot read frames from a {type(source).__name__}: "
        "give a folder of JPEGs, a video file, or a sequence of uint8 [H, W, 3] arrays"
    )
