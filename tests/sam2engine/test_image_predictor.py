"""Image predictor beyond the parity fixtures: other input sizes, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sam2engine.config import ModelConfig
from sam2engine.inference.image_predictor import ImagePredictor
from sam2engine.modeling.sam2 import SAM2Model


def test_feature_sizes_follow_image_size() -> None:
    """No 1024-px assumption: a 128-px model gives 32x32 low-res logits (4E, E = 128/16)."""
    torch.manual_seed(0)
    model = SAM2Model(dataclasses.replace(ModelConfig.preset("micro"), image_size=128)).eval()
    pred = ImagePredictor(model, precision="float32")
    pred.set_image(np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8))
    masks, ious, low = pred.predict(point_coords=[[20, 30]], point_labels=[1])
    assert masks.shape == (3, 50, 70)
    assert masks.dtype == bool
    assert ious.shape == (3,)
    assert low.shape == (3, 32, 32)
    assert np.all(np.abs(low) <= 32)
    masks, ious, low = pred.predict(box=[[5, 5, 40, 40], [10, 10, 60, 45]], multimask_output=False)
    assert masks.shape == (2, 1, 50, 70)
    assert low.shape == (2, 1, 32, 32)
    masks, _, _ = pred.predict(mask_input=low[0], multimask_output=False)
    assert masks.shape == (1, 50, 70)


def test_image_predictor_errors(micro_model) -> None:
    pred = ImagePredictor(micro_model)
    with pytest.raises(RuntimeError, match="set_image"):
        pred.predict(point_coords=[[1, 1]], point_labels=[1])
    with pytest.raises(ValueError, match="uint8"):
        pred.set_image(np.zeros((10, 10, 3), np.float32))
    pred.set_image(np.zeros((30, 40, 3), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        pred.predict(point_coords=np.zeros((0, 2)), point_labels=np.zeros(0))
    with pytest.raises(ValueError, match="at least one"):
        pred.predict()
    with pytest.raises(ValueError, match="low-res"):
        pred.predict(mask_input=np.zeros((1, 10, 10), np.float32))
    with pytest.raises(ValueError, match="point_labels"):
        pred.predict(point_coords=[[1, 1]])
