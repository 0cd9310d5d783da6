"""Clear errors for bad checkpoints, configs and session calls."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sam2engine.build import build_model
from sam2engine.checkpoint import CheckpointError, CheckpointMismatch, load_weights, read_state_dict
from sam2engine.config import ConfigError, ModelConfig
from sam2engine.inference.session import SessionError, VideoSession
from sam2engine.modeling.sam2 import SAM2Model


def _micro_cfg(micro_dir: Path) -> ModelConfig:
    return ModelConfig.from_json(micro_dir / "config.json")


def test_wrong_checkpoint_for_config_lists_keys(micro_dir: Path) -> None:
    cfg = _micro_cfg(micro_dir)
    trunk = dataclasses.replace(cfg.image_encoder.trunk, stages=(1, 2, 5, 2), embed_dim=24)
    neck = dataclasses.replace(cfg.image_encoder.neck, backbone_channel_list=(192, 96, 48, 24))
    other = dataclasses.replace(
        cfg, image_encoder=dataclasses.replace(cfg.image_encoder, trunk=trunk, neck=neck)
    )
    model = SAM2Model(other)
    with pytest.raises(CheckpointMismatch) as info:
        load_weights(model, micro_dir / "checkpoint.pt")
    err = info.value
    # The deeper trunk has a tenth block, and its stage-4 width change (the block with
    # ``proj``) moved from block 7 to block 8.
    assert err.missing
    assert all(
        k.startswith(("image_encoder.trunk.blocks.9.", "image_encoder.trunk.blocks.8.proj."))
        for k in err.missing
    )
    assert err.unexpected == [
        "image_encoder.trunk.blocks.7.proj.bias",
        "image_encoder.trunk.blocks.7.proj.weight",
    ]
    shaped = {k for k, _, _ in err.mis_shaped}
    assert "image_encoder.trunk.patch_embed.proj.weight" in shaped
    assert "image_encoder.neck.convs.0.conv.weight" in shaped
    text = str(err)
    assert "missing keys" in text
    assert "unexpected keys" in text
    assert "mis-shaped keys" in text
    assert "blocks.7.proj.bias" in text
    assert "checkpoint (96, 16) vs model (144, 24)" in text


def test_unexpected_and_missing_keys(micro_dir: Path, tmp_path: Path) -> None:
    sd = read_state_dict(micro_dir / "checkpoint.pt")
    sd["extra.weight"] = torch.zeros(2)
    del sd["no_obj_ptr"]
    torch.save({"model": sd}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointMismatch) as info:
        build_model(micro_dir / "config.json", tmp_path / "bad.pt", device="cpu")
    assert info.value.missing == ["no_obj_ptr"]
    assert info.value.unexpected == ["extra.weight"]


def test_corrupt_and_missing_files(micro_dir: Path, tmp_path: Path) -> None:
    model = SAM2Model(_micro_cfg(micro_dir))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint" * 100)
    with pytest.raises(CheckpointError, match="corrupt|cannot be loaded"):
        load_weights(model, garbage)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((micro_dir / "checkpoint.pt").read_bytes()[:100_000])
    with pytest.raises(CheckpointError):
        load_weights(model, truncated)
    with pytest.raises(CheckpointError, match="not found"):
        load_weights(model, tmp_path / "absent.pt")
    bad_st = tmp_path / "bad.safetensors"
    bad_st.write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="safetensors"):
        load_weights(model, bad_st)


def test_build_predictor_names_a_non_checkpoint_file(micro_dir: Path, tmp_path: Path) -> None:
    import zipfile

    from sam2engine import build_predictor

    text = tmp_path / "model.pt"
    text.write_text("version https://git-lfs.github.com/spec/v1\n")
    empty = tmp_path / "empty.pt"
    empty.touch()
    archive = tmp_path / "zipped.pt"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "hi")
    for path, why in (
        (text, "text file starting 'version https://git-lfs"),
        (empty, "the file is empty"),
        (archive, "zip archive, but not one written by torch.save"),
    ):
        with pytest.raises(CheckpointError) as info:
            build_predictor(micro_dir / "config.json", path, device="cpu")
        assert str(path) in str(info.value)
        assert "is not a PyTorch checkpoint" in str(info.value)
        assert why in str(info.value)


def test_pickled_objects_are_refused(micro_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "pickle.pt"
    torch.save({"model": {"w": torch.zeros(1)}, "extra": argparse.Namespace(a=1)}, path)
    with pytest.raises(CheckpointError):
        read_state_dict(path)


def test_safetensors_loads_identically(micro_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    sd = read_state_dict(micro_dir / "checkpoint.pt")
    save_file({k: v.contiguous() for k, v in sd.items()}, str(tmp_path / "m.safetensors"))
    model = build_model(micro_dir / "config.json", tmp_path / "m.safetensors", device="cpu")
    for k, v in model.state_dict().items():
        assert torch.equal(v, sd[k]), k


def test_bad_config(tmp_path: Path, micro_dir: Path) -> None:
    raw = json.loads((micro_dir / "config.json").read_text())
    del raw["image_encoder"]["trunk"]["embed_dim"]
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="embed_dim"):
        ModelConfig.from_json(tmp_path / "c.json")
    with pytest.raises(ConfigError, match="unknown preset"):
        ModelConfig.preset("huge")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda r: r["image_encoder"]["trunk"].__setitem__(
                "global_attn_blocks", r["image_encoder"]["trunk"].pop("global_att_blocks")
            ),
            r"image_encoder\.trunk: unknown key 'global_attn_blocks' "
            r"\(did you mean 'global_att_blocks'\?\)",
        ),
        (lambda r: r.__setitem__("imagesize", 256), r"top level: unknown key 'imagesize'"),
        (
            lambda r: r["builder_overrides"]["video_predictor"].__setitem__("fill_holes", 8),
            r"builder_overrides\.video_predictor: unknown key 'fill_holes'",
        ),
        (
            lambda r: r["model"].__setitem__("num_maskmem", "7"),
            r"model\.num_maskmem: expected int, got \"7\"",
        ),
        (
            lambda r: r["memory_encoder"]["mask_downsampler"].__setitem__("activation", "relu"),
            r"memory_encoder\.mask_downsampler\.activation: \"relu\" is not supported",
        ),
        (
            lambda r: r["sam_heads_fixed"].__setitem__("iou_head_dept", 3),
            r"sam_heads_fixed: unknown key 'iou_head_dept'",
        ),
    ],
)
def test_config_refuses_unknown_keys_and_wrong_types(
    tmp_path: Path, micro_dir: Path, edit, message: str
) -> None:
    """A misspelt key must not silently fall back to its default (a different model)."""
    raw = json.loads((micro_dir / "config.json").read_text())
    edit(raw)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=message) as info:
        ModelConfig.from_json(path)
    assert str(path) in str(info.value)
    with pytest.raises(ConfigError, match=message):
        build_model(path, device="cpu")


def test_shipped_configs_still_load(micro_dir: Path) -> None:
    """Every shipped preset and fixture config uses only known keys (the control for the
    refusals above); the descriptive entries are accepted."""
    from sam2engine.config import PRESETS

    for name in PRESETS:
        ModelConfig.preset(name)
    for folder in (micro_dir, micro_dir.parent / "independent_192"):
        ModelConfig.from_json(folder / "config.json")


def _session(model, n: int = 4) -> VideoSession:
    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(n)]
    return VideoSession(model, frames, precision="float32")


def test_session_call_errors(micro_model) -> None:
    s = _session(micro_model)
    with pytest.raises(SessionError, match="out of range"):
        s.add_prompt(4, 1, points=[[10, 10]], labels=[1])
    with pytest.raises(SessionError, match="out of range"):
        s.add_prompt(-1, 1, points=[[10, 10]], labels=[1])
    with pytest.raises(SessionError, match="empty points"):
        s.add_prompt(0, 1, points=np.zeros((0, 2)), labels=np.zeros(0))
    with pytest.raises(SessionError, match="together"):
        s.add_prompt(0, 1, points=[[1, 2]])
    with pytest.raises(SessionError, match="points with labels, or a box"):
        s.add_prompt(0, 1)
    with pytest.raises(SessionError, match="2 points but 1 labels"):
        s.add_prompt(0, 1, points=[[1, 2], [3, 4]], labels=[1])
    with pytest.raises(SessionError, match="clear_old"):
        s.add_prompt(0, 1, box=[1, 2, 30, 40], clear_old=False)
    with pytest.raises(SessionError, match="add a prompt"):
        next(s.propagate())
    with pytest.raises(SessionError, match="unknown object"):
        s.remove_object(7)
    s.add_prompt(0, 1, points=[[10, 10]], labels=[1])
    with pytest.raises(SessionError, match="unknown object"):
        s.clear_frame_prompts(0, 2)
    with pytest.raises(SessionError, match="out of range"):
        next(s.propagate(start_frame=9))
    with pytest.raises(SessionError, match="HxWx3 uint8"):
        VideoSession(micro_model, [np.zeros((4, 4), np.float32)])
    with pytest.raises(SessionError, match="no frames"):
        VideoSession(micro_model, [])
