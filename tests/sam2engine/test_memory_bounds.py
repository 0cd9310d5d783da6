"""Structural memory test: a long propagation keeps a bounded number of cached frame
features and stored memories (counted, not timed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from sam2engine.config import ModelConfig
from sam2engine.inference.session import VideoSession
from sam2engine.modeling.sam2 import SAM2Model


class SyntheticFrames:
    """A lazy 'video': frames are drawn on request and never kept; reads are counted."""

    def __init__(self, n: int, h: int = 36, w: int = 48) -> None:
        self.n, self.h, self.w = n, h, w
        self.reads = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < self.n:
            raise IndexError(i)
        self.reads += 1
        frame = np.full((self.h, self.w, 3), 30, np.uint8)
        x = 4 + (i % 30)
        frame[10:20, x : x + 10] = (220, 40, 40)
        return frame


def _small_model() -> SAM2Model:
    """The micro architecture at 64 px (feature grids derive from image_size), random weights."""
    torch.manual_seed(0)
    cfg = dataclasses.replace(ModelConfig.preset("micro"), image_size=64)
    return SAM2Model(cfg).eval()


def _run(frames: SyntheticFrames, **options) -> tuple[VideoSession, dict[str, int]]:
    torch.set_num_threads(1)
    session = VideoSession(_small_model(), frames, precision="float32", **options)
    session.add_prompt(0, "a", points=[[10, 15]], labels=[1])
    session.add_prompt(0, "b", box=[2, 2, 30, 30])
    peak: dict[str, int] = {}
    count = 0
    for result in session.propagate():
        assert result.frame_index == count
        assert result.mask_logits.shape == (2, frames.h, frames.w)
        count += 1
        for k, v in session.stats().items():
            peak[k] = max(peak.get(k, 0), v)
    assert count == len(frames)
    return session, peak


def test_300_frames_keep_bounded_state() -> None:
    frames = SyntheticFrames(300)
    session, peak = _run(frames, feature_cache_size=3)
    cfg = session.cfg.model
    window = max(cfg.num_maskmem - 1, cfg.max_obj_ptrs_in_encoder - 1)  # 15 frames of history
    assert session.retained_outputs == window
    assert peak["cached_features"] <= 3
    assert peak["cond_outputs"] == 2  # one conditioning frame per object
    assert peak["non_cond_outputs"] <= 2 * window
    # Memory features: the conditioning frame plus the newest num_maskmem tracked frames.
    assert peak["memories"] <= 2 * (cfg.num_maskmem + 1)
    # Each frame's backbone ran exactly once and frames were read lazily, once each.
    assert session.stats()["features_computed"] == 300
    assert frames.reads == 300 + 1  # + the size probe at session start


def test_official_retention_grows_with_length() -> None:
    """Control: with official retention the stored outputs grow with the clip (so the
    bounded counts above are a real property, not a counting artefact)."""
    session, peak = _run(SyntheticFrames(40), retain_all_outputs=True)
    assert peak["non_cond_outputs"] == 2 * 39
