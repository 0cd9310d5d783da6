"""sam2engine: a checkpoint-compatible SAM 2.1 engine (torch + numpy + opencv).

Public surface only; nothing loads at import.
"""

from sam2engine.automatic import (
    AutomaticMask,
    AutomaticMaskError,
    AutomaticMaskGenerator,
    AutomaticMaskSettings,
)
from sam2engine.build import build_model, build_predictor
from sam2engine.checkpoint import CheckpointError, CheckpointMismatch, load_weights
from sam2engine.config import PRESETS, ConfigError, ModelConfig
from sam2engine.datatypes import FrameMasks
from sam2engine.inference.image_predictor import ImagePredictor
from sam2engine.inference.outputs import FrameOutput
from sam2engine.inference.predictor import VideoPredictor
from sam2engine.inference.session import SessionError, VideoSession
from sam2engine.inference.snapshot import ObjectSnapshot, SessionSnapshot
from sam2engine.inference.store import DiskOutputStore, OutputStore

__all__ = [
    "AutomaticMask",
    "AutomaticMaskError",
    "AutomaticMaskGenerator",
    "AutomaticMaskSettings",
    "CheckpointError",
    "CheckpointMismatch",
    "ConfigError",
    "DiskOutputStore",
    "FrameMasks",
    "FrameOutput",
    "ImagePredictor",
    "ModelConfig",
    "ObjectSnapshot",
    "OutputStore",
    "PRESETS",
    "SessionError",
    "SessionSnapshot",
    "VideoPredictor",
    "VideoSession",
    "build_model",
    "build_predictor",
    "load_weights",
]
