"""A video's frames, read lazily, and their backbone features in a small LRU cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sam2engine.device import autocast_context
from sam2engine.inference.errors import SessionError
from sam2engine.modeling.image_encoder import EncodeCancelled, cancellable
from sam2engine.modeling.sam2 import BackboneFeatures, SAM2Model
from sam2engine.ops.preprocess import check_rgb_uint8 as _check_rgb_uint8
from sam2engine.ops.preprocess import normalize_uint8, resize_frame_cv2


def check_rgb_uint8(frame: Any) -> np.ndarray:
    try:
        return _check_rgb_uint8(frame)
    except ValueError as exc:
        raise SessionError(f"bad frame: {exc}") from None


def _as_frame_source(source: Any) -> Any:
    if isinstance(source, (str, Path)):
        from sam2engine.inference.frames import open_frames

        return open_frames(source)
    if not hasattr(source, "__len__") or not hasattr(source, "__getitem__"):
        raise SessionError(
            "frames must be a path or an indexable sequence of HxWx3 uint8 RGB frames"
        )
    return source


class FrameFeatures:
    """Frames of one video and an LRU of their backbone features (``cache_size`` frames).

    ``video_size`` (H, W) lets a caller feed frames already resized to the model input
    (S x S) while prompts and outputs stay in original video pixels.
    """

    def __init__(
        self,
        model: SAM2Model,
        frames: Sequence[np.ndarray] | str | Path,
        precision: str,
        encode: Callable[[torch.Tensor], BackboneFeatures],
        cache_size: int,
        video_size: tuple[int, int] | None = None,
    ) -> None:
        self.model = model
        self.frames = _as_frame_source(frames)
        self.num_frames = len(self.frames)
        if self.num_frames == 0:
            raise SessionError("the video has no frames")
        if video_size is not None:
            self.video_hw = (int(video_size[0]), int(video_size[1]))
        else:
            first = check_rgb_uint8(self.frames[0])
            self.video_hw = (int(first.shape[0]), int(first.shape[1]))
        self.precision = precision
        self.cache_size = max(1, cache_size)
        self._encode = encode
        self._cache: OrderedDict[int, BackboneFeatures] = OrderedDict()
        self.computed = 0  # backbone runs (diagnostics / tests)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def model_input(self, frame: int) -> torch.Tensor:
        """[1, 3, S, S] normalised model input of a frame (OpenCV resize if needed)."""
        img = check_rgb_uint8(self.frames[frame])
        s = self.model.cfg.image_size
        if img.shape[:2] != self.video_hw and img.shape[:2] != (s, s):
            raise SessionError(f"frame {frame} is {img.shape[:2]}, expected {self.video_hw}")
        img = resize_frame_cv2(img, s)
        t = torch.from_numpy(np.ascontiguousarray(img)).to(self.device)[None]
        p = self.model.cfg.preprocessing
        return normalize_uint8(t, p.pixel_mean, p.pixel_std)

    @torch.inference_mode()  # also when called from outside a session step: no autograd graph
    def get(self, frame: int) -> BackboneFeatures:
        feats = self._cache.get(frame)
        if feats is not None:
            self._cache.move_to_end(frame)
            return feats
        feats = self._compute(frame)
        self.computed += 1
        self.keep(frame, feats)
        return feats

    def _compute(self, frame: int) -> BackboneFeatures:
        x = self.model_input(frame)
        with autocast_context(self.device, self.precision):
            raw = self._encode(x)
        return BackboneFeatures(
            [t.float() for t in raw.high_res], raw.vision.float(), raw.vision_pos.float()
        )

    @torch.inference_mode()
    def encode_ahead(self, frame: int, cancelled: Callable[[], bool]) -> BackboneFeatures | None:
        """A frame's features computed ahead of use, by any thread, without touching the
        cache (hand them to :meth:`keep` from the session's thread). ``cancelled`` is asked
        between trunk blocks; None once it said stop. The same computation as :meth:`get`,
        so the features are bit-identical."""
        try:
            with cancellable(cancelled):
                return self._compute(frame)
        except EncodeCancelled:
            return None

    def keep(self, frame: int, feats: BackboneFeatures) -> None:
        """Caches a frame's features (most recently used), evicting beyond ``cache_size``."""
        self._cache[frame] = feats
        self._cache.move_to_end(frame)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def cached(self, frame: int) -> bool:
        return frame in self._cache

    def __len__(self) -> int:
        """Frames whose features are cached."""
        return len(self._cache)

    def nbytes(self) -> int:
        return sum(f.nbytes() for f in self._cache.values())

    def close(self) -> None:
        self._cache.clear()
        close = getattr(self.frames, "close", None)
        if callable(close):
            close()
