"""VideoPredictor: a loaded model plus session defaults (device, precision, compile)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sam2engine.inference.image_predictor import ImagePredictor
from sam2engine.inference.session import VideoSession
from sam2engine.inference.snapshot import SessionSnapshot
from sam2engine.inference.store import OutputStore
from sam2engine.modeling.sam2 import SAM2Model


class VideoPredictor:
    """Starts :class:`VideoSession` objects that share one model.

    ``precision``: "auto" (bfloat16 autocast on CUDA, float32 elsewhere), "float32" or
    "bfloat16". ``compile_image_encoder`` wraps the backbone in ``torch.compile``.
    Other keyword options are passed to every session (see :class:`VideoSession`).
    """

    def __init__(
        self,
        model: SAM2Model,
        precision: str = "auto",
        compile_image_encoder: bool = False,
        **session_options: Any,
    ) -> None:
        self.model = model.eval()
        self.precision = precision
        self.session_options = session_options
        if compile_image_encoder or model.cfg.model.compile_image_encoder:
            model.compile_image_encoder(dynamic=False)
        self._encode = model.forward_image

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def start_session(
        self, frames: Sequence[np.ndarray] | str | Path, **overrides: Any
    ) -> VideoSession:
        """Open a session on a frame source: a folder of JPEGs, a video file, or any
        indexable sequence of HxWx3 uint8 RGB frames (read lazily)."""
        options = {**self.session_options, **overrides}
        return VideoSession(
            self.model, frames, precision=self.precision, image_encoder=self._encode, **options
        )

    def restore_session(
        self,
        frames: Sequence[np.ndarray] | str | Path,
        snapshot: SessionSnapshot,
        store: OutputStore,
        **overrides: Any,
    ) -> VideoSession:
        """A session continuing ``snapshot`` (see :meth:`VideoSession.restore`), with this
        predictor's precision, image encoder and session defaults."""
        options = {**self.session_options, **overrides}
        return VideoSession.restore(
            self.model,
            frames,
            snapshot,
            store,
            precision=self.precision,
            image_encoder=self._encode,
            **options,
        )

    def image_predictor(self) -> ImagePredictor:
        return ImagePredictor(self.model, precision=self.precision)
