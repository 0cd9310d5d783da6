"""The model built from our configs has exactly the official state-dict keys and shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sam2engine.config import CONFIG_DIR, ModelConfig
from sam2engine.modeling.sam2 import SAM2Model

MANIFESTS = Path(__file__).resolve().parents[1] / "fixtures" / "sam2ref" / "manifests"


@pytest.mark.parametrize("manifest", sorted(MANIFESTS.glob("*.json")), ids=lambda p: p.stem)
def test_model_matches_manifest(manifest: Path) -> None:
    ref = json.loads(manifest.read_text())
    cfg = ModelConfig.from_json(CONFIG_DIR / f"{ref['name']}.json")
    with torch.device("meta"):  # shapes only: no memory, no init cost
        model = SAM2Model(cfg)
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert ours.keys() == ref["state_dict"].keys(), (
        f"missing {sorted(ref['state_dict'].keys() - ours.keys())[:10]}, "
        f"unexpected {sorted(ours.keys() - ref['state_dict'].keys())[:10]}"
    )
    assert {k: v for k, v in ours.items() if v != ref["state_dict"][k]} == {}
    assert len(ours) == ref["num_tensors"]
    assert sum(p.numel() for p in model.parameters()) == ref["total_parameters"]
    assert sum(t.numel() for t in model.state_dict().values()) == ref["total_state_dict_elements"]
    buffers = [k for k, _ in model.named_buffers()]
    assert buffers == ref["buffers_in_state_dict"]


def test_presets_derive_sizes_from_image_size() -> None:
    for name in ("tiny", "small", "base_plus", "large"):
        cfg = ModelConfig.preset(name)
        assert cfg.image_size == 1024
        assert cfg.hidden_dim == 256
        assert cfg.mem_dim == 64
        assert cfg.feature_sizes == ((256, 256), (128, 128), (64, 64))
        assert cfg.low_res_mask_size == 256
    micro = ModelConfig.preset("micro")
    assert micro.feature_sizes == ((64, 64), (32, 32), (16, 16))
    assert ModelConfig.preset("large").image_encoder.trunk.window_spec == (8, 4, 16, 8)
    assert ModelConfig.preset("base_plus").image_encoder.trunk.stages == (2, 3, 16, 3)
