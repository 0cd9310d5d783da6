"""Frames encoded ahead: features computed before a click, in another thread, are the ones
the click would compute (bit for bit), and an encoding told to stop stops between blocks."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from sam2engine.inference.session import VideoSession


@pytest.fixture(scope="module")
def clip(micro_dir: Path) -> dict[str, np.ndarray]:
    z = np.load(micro_dir / "video.npz")
    return {"decoded": z["frames_decoded"], "model_input": z["frames_model_input_u8"]}


def _session(model, clip) -> VideoSession:  # type: ignore[no-untyped-def]
    h, w = clip["decoded"].shape[1:3]
    return VideoSession(model, list(clip["model_input"]), precision="float32", video_size=(h, w))


def _click(session: VideoSession, frame: int):  # type: ignore[no-untyped-def]
    return session.add_points(frame, 1, [[20.0, 30.0]], [1])


def test_features_encoded_ahead_in_another_thread_give_identical_masks(micro_model, clip):
    # given: one session whose frame 2 was encoded ahead in another thread, and one without
    ahead, plain = _session(micro_model, clip), _session(micro_model, clip)
    _click(ahead, 0), _click(plain, 0)
    result: list = []
    thread = threading.Thread(target=lambda: result.append(ahead.encode_ahead(2, lambda: False)))
    thread.start()
    thread.join(timeout=600)
    assert result[0] is not None
    ahead.keep_features(2, result[0])
    computed = ahead.features_computed
    # when: both get a click on frame 2
    with_ahead, without = _click(ahead, 2), _click(plain, 2)
    # then: the click skipped the image encoder and gave the very same logits and scores
    assert ahead.features_computed == computed
    assert plain.features_computed == computed + 1  # (which ran it)
    assert torch.equal(with_ahead.mask_logits, without.mask_logits)
    assert torch.equal(with_ahead.object_scores, without.object_scores)
    # (and the features themselves are bit-identical)
    a, b = ahead.features(2), plain.features(2)
    assert torch.equal(a.vision, b.vision)
    assert all(torch.equal(x, y) for x, y in zip(a.high_res, b.high_res, strict=True))


def test_an_encoding_told_to_stop_stops_at_the_next_check(micro_model, clip):
    session = _session(micro_model, clip)
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) >= 3  # stop before the second trunk block

    # when: the encoding is told to stop after its first block
    # then: nothing comes back, and the check ran exactly up to the stop
    assert session.encode_ahead(1, cancelled) is None
    assert len(asked) == 3  # before block 1, half-way through it, before block 2
    assert not session.has_features(1)
    # (an encoding of this thread outside encode_ahead never asks)
    session.features(1)
    assert len(asked) == 3
