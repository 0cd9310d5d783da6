"""Structural memory test: a long propagation keeps a bounded number of cached frame
features and outputs in RAM, and every output in the store (counted, not timed)."""

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


def _run(frames: SyntheticFrames, **options) -> tuple[VideoSession, dict[str, float]]:
    torch.set_num_threads(1)
    session = VideoSession(_small_model(), frames, precision="float32", **options)
    session.add_prompt(0, "a", points=[[10, 15]], labels=[1])
    session.add_prompt(0, "b", box=[2, 2, 30, 30])
    peak: dict[str, float] = {}
    count = 0
    for result in session.propagate():
        assert result.frame_index == count
        assert result.mask_logits.shape == (2, frames.h, frames.w)
        count += 1
        for k, v in session.stats().items():
            peak[k] = max(peak.get(k, 0), v)
    assert count == len(frames)
    return session, peak


def test_300_frames_keep_bounded_ram_and_every_output() -> None:
    """Every tracked output is kept (spilled to the store), RAM holds a bounded window."""
    frames = SyntheticFrames(300)
    session, peak = _run(frames, feature_cache_size=3, ram_outputs=20)
    stats = session.stats()
    assert peak["cached_features"] <= 3
    assert stats["cond_outputs"] == 2  # one conditioning frame per object
    assert stats["non_cond_outputs"] == 2 * 299  # nothing is forgotten
    # RAM: the two conditioning outputs plus at most 20 tracked outputs per object.
    assert peak["resident_tracked_outputs"] <= 2 * 20
    assert peak["resident_outputs"] <= 2 + 2 * 20
    per_output = max(peak["resident_bytes"] / peak["resident_outputs"], 1)
    assert peak["resident_bytes"] <= (2 + 2 * 20) * per_output
    # Each output that left the window was written once; a sequential pass never reads
    # back (its 15 pointer frames, 6 of them memory frames, stay inside the window).
    assert stats["writes"] == 2 * (299 - 20)
    assert stats["reads"] == 0
    assert len(session.store.keys()) == stats["writes"]  # type: ignore[attr-defined]
    assert session.store.total_bytes() == stats["bytes_written"]  # type: ignore[attr-defined]
    # Each frame's backbone ran exactly once and frames were read lazily, once each.
    assert stats["features_computed"] == 300
    assert frames.reads == 300 + 1  # + the size probe at session start
    folder = session.store.folder  # type: ignore[attr-defined]
    session.close()
    assert not folder.exists()  # the private store goes with the session


def test_a_window_below_the_pointer_window_reads_back() -> None:
    """Control: with fewer than 15 tracked outputs in RAM a sequential pass must read
    spilled outputs back (so the zero above is a property of the window, not of the
    counting)."""
    session, _ = _run(SyntheticFrames(40), ram_outputs=8)
    assert session.stats()["reads"] > 0
    session.close()


def test_all_in_ram_grows_with_length() -> None:
    """Control: ``retain_all_outputs`` keeps every output in RAM and writes nothing."""
    session, peak = _run(SyntheticFrames(40), retain_all_outputs=True)
    assert peak["resident_outputs"] == 2 + 2 * 39
    assert session.stats()["writes"] == 0
    session.close()
