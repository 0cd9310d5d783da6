"""Where the engine deliberately differs from (improves on) the official predictor,
plus batching, frame sources and CPU hole filling."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from sam2engine.inference.predictor import VideoPredictor
from sam2engine.inference.session import VideoSession
from sam2engine.ops.holes import fill_holes
from sam2engine.ops.preprocess import resize_frame_cv2


@pytest.fixture(scope="module")
def clip(micro_dir: Path) -> dict[str, np.ndarray]:
    z = np.load(micro_dir / "video.npz")
    return {"decoded": z["frames_decoded"], "model_input": z["frames_model_input_u8"]}


def _session(model, clip, **kw) -> VideoSession:
    h, w = clip["decoded"].shape[1:3]
    return VideoSession(
        model, list(clip["model_input"]), precision="float32", video_size=(h, w), **kw
    )


class PointerCounter:
    def __init__(self) -> None:
        self.calls: list[tuple[int, list, int]] = []

    def __call__(self, event: str, data: dict) -> None:
        if event == "memory_attention":
            self.calls.append((data["frame"], data["obj_ids"], data["num_obj_ptr_tokens"]))


def test_tracking_without_any_object_pointer_works_in_float32(micro_model, clip) -> None:
    """Official float32 code raises a dtype error when a tracked frame has no pointer
    (object prompted after another; reverse run from the last frame)."""
    s = _session(micro_model, clip)
    spy = PointerCounter()
    s.observer = spy
    s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
    s.add_prompt(5, 2, box=[200, 130, 300, 200])  # first prompted later than object 1
    out = list(s.propagate())
    assert [r.frame_index for r in out] == list(range(12))
    # Object 2 is tracked on frame 0 from its future conditioning frame, with no pointer.
    assert (0, [2], 0) in spy.calls
    assert all(
        torch.isfinite(r.mask_logits).all() and torch.isfinite(r.object_scores).all() for r in out
    )
    spy.calls.clear()
    rev = list(s.propagate(start_frame=11, reverse=True))
    assert [r.frame_index for r in rev] == list(range(11, -1, -1))
    # Nothing at or after frame 11 to point to (both objects, batched in one pass).
    assert any(f == 11 and 1 in ids and n == 0 for f, ids, n in spy.calls)
    assert all(torch.isfinite(r.mask_logits).all() for r in rev)


@pytest.mark.parametrize("as_cond", [True, False])
def test_correction_sticks_by_default(micro_model, clip, as_cond: bool) -> None:
    s = _session(micro_model, clip, corrections_as_conditioning=as_cond)
    s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
    first = {r.frame_index: r.mask_logits[0].clone() for r in s.propagate()}
    corrected = s.add_prompt(6, 1, points=[[112, 80]], labels=[1]).mask_logits[0].clone()
    assert not torch.equal(corrected, first[6])
    second = {r.frame_index: r.mask_logits[0] for r in s.propagate()}
    if as_cond:  # engine default: the corrected frame is a conditioning frame and stays
        assert 6 in s.objects[0].cond
        assert torch.equal(second[6], corrected)
    else:  # official default: re-propagation recomputes frame 6 without the click
        assert 6 not in s.objects[0].cond
        assert torch.equal(second[6], first[6])


def test_objects_batched_equal_objects_alone(micro_model, clip) -> None:
    prompts = {1: {"points": [[62, 58]], "labels": [1]}, 2: {"box": [255, 136, 312, 200]}}
    together = _session(micro_model, clip)
    for oid, p in prompts.items():
        together.add_prompt(0, oid, **p)
    joint = [r.mask_logits for r in together.propagate()]
    for i, (oid, p) in enumerate(prompts.items()):
        alone = _session(micro_model, clip)
        alone.add_prompt(0, oid, **p)
        single = [r.mask_logits[0] for r in alone.propagate()]
        for f, logits in enumerate(single):
            assert torch.allclose(joint[f][i], logits, atol=1e-4, rtol=0), (oid, f)


def test_session_from_jpeg_folder_and_removal(micro_model, clip, tmp_path: Path) -> None:
    for i, frame in enumerate(clip["decoded"][:4]):
        cv2.imwrite(str(tmp_path / f"{i:05d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    predictor = VideoPredictor(micro_model, precision="float32")
    s = predictor.start_session(tmp_path)
    assert s.num_frames == 4
    assert s.video_hw == clip["decoded"].shape[1:3]
    s.add_prompt(0, "disc", points=[[62, 58]], labels=[1])
    s.add_prompt(0, "rect", box=[255, 136, 312, 200])
    results = list(s.propagate(max_frames=2))
    assert [r.frame_index for r in results] == [0, 1, 2]
    assert results[0].object_ids == ["disc", "rect"]
    s.remove_object("disc")
    assert s.object_ids == ["rect"]
    assert list(s.propagate(start_frame=0, max_frames=1))[1].mask_logits.shape == (
        1,
        *clip["decoded"].shape[1:3],
    )
    s.reset()
    assert s.object_ids == []


def test_opencv_resizer_close_to_official_loader(clip) -> None:
    """Our OpenCV resize vs the official PIL-bicubic model inputs, same decoded frames.
    Tolerance: mean |diff| <= 1 grey level, 99th percentile <= 4, max <= 16."""
    size = clip["model_input"].shape[1]
    ours = np.stack([resize_frame_cv2(f, size) for f in clip["decoded"]]).astype(np.int16)
    err = np.abs(ours - clip["model_input"].astype(np.int16))
    assert err.mean() <= 1.0
    assert np.percentile(err, 99) <= 4
    assert err.max() <= 16


def test_hole_filling_on_cpu() -> None:
    logits = torch.full((1, 1, 20, 20), 5.0)
    logits[0, 0, 2:4, 2:4] = -3.0  # 4-pixel hole: filled
    logits[0, 0, 10:13, 10:13] = -3.0  # 9-pixel hole: kept (area > 8)
    logits[0, 0, 0, 19] = -1.0  # 1-pixel background at the border: filled too
    logits[0, 0, 6, 6] = -2.0
    logits[0, 0, 7, 7] = -2.0  # diagonal neighbours: one 8-connected component of 2
    out, changed = fill_holes(logits, 8)
    assert changed == 4 + 1 + 2
    assert torch.all(out[0, 0, 2:4, 2:4] == 0.1)
    assert out[0, 0, 0, 19] == 0.1
    assert out[0, 0, 7, 7] == 0.1
    assert torch.all(out[0, 0, 10:13, 10:13] == -3.0)
    assert torch.equal(out[logits > 0], logits[logits > 0])


def test_non_overlapping_masks_option(micro_model, clip) -> None:
    """With non_overlap_masks each pixel keeps only its highest-scoring object."""
    for non_overlap in (False, True):
        s = _session(micro_model, clip, non_overlap_masks=non_overlap)
        s.add_prompt(0, 1, points=[[62, 58]], labels=[1])
        result = s.add_prompt(0, 2, points=[[64, 60]], labels=[1])
        owners = (result.mask_logits > 0).sum(dim=0)
        if non_overlap:
            assert int(owners.max()) == 1
        else:  # the two objects overlap without the constraint (so the check above bites)
            assert int(owners.max()) == 2


def test_features_called_directly_keep_no_autograd_graph(micro_model, clip) -> None:
    """``session.features`` is public: called outside a session step it must not build an
    autograd graph (the cache would keep every backbone activation alive: GBs at 1024 px)."""
    s = _session(micro_model, clip)
    feats = s.features(3)
    for t in (*feats.high_res, feats.vision, feats.vision_pos):
        assert t.grad_fn is None
        assert not t.requires_grad
