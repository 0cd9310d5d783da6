"""Building models and predictors from configs and checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from sam2engine.checkpoint import load_weights
from sam2engine.config import ModelConfig
from sam2engine.device import resolve_device
from sam2engine.modeling.sam2 import SAM2Model

if TYPE_CHECKING:
    from sam2engine.inference.predictor import VideoPredictor


def build_model(
    config: ModelConfig | str | Path,
    checkpoint: str | Path | None = None,
    device: str | torch.device | None = None,
) -> SAM2Model:
    """Build a SAM 2.1 model (eval mode, float32) from a config object, preset name or JSON
    path, optionally loading a checkpoint strictly. ``device`` None picks cuda > mps > cpu."""
    if not isinstance(config, ModelConfig):
        text = str(config)
        config = ModelConfig.from_json(text) if text.endswith(".json") else ModelConfig.preset(text)
    model = SAM2Model(config)
    if checkpoint is not None:
        load_weights(model, checkpoint)
    model.eval()
    return model.to(resolve_device(device))


def build_predictor(
    preset: ModelConfig | str | Path,
    checkpoint: str | Path | None = None,
    device: str | torch.device | None = None,
    **video_options: Any,
) -> VideoPredictor:
    """A :class:`~sam2engine.inference.predictor.VideoPredictor` for the given config."""
    from sam2engine.inference.predictor import VideoPredictor

    return VideoPredictor(build_model(preset, checkpoint, device), **video_options)
