"""Numerical parity with the official implementation on the micro fixtures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_parity_cli_on_micro_fixtures(micro_dir: Path) -> None:
    """`python -m sam2engine.parity` replays every image prompt set and the whole video
    scenario, in the engine's default (spilling) session mode, and reports every case within
    tolerance."""
    proc = subprocess.run(
        [sys.executable, "-m", "sam2engine.parity", str(micro_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    summary = lines[-1]
    assert summary["summary"]
    assert summary["ok"]
    assert summary["failed"] == 0
    cases = {line["case"]: line for line in lines[:-1]}
    names = [str(n) for n in np.load(micro_dir / "image.npz")["prompt_set_names"]]
    steps = [s["key"] for s in json.loads((micro_dir / "scenario.json").read_text())["steps"]]
    # Every prompt set and every scenario step was replayed and compared.
    assert {f"image/{n}" for n in names} <= cases.keys()
    assert {f"video/{k}" for k in steps} <= cases.keys()
    assert all(line["ok"] for line in cases.values())
    assert summary["max_abs_logit_diff"] <= 1e-3
    assert summary["mask_mismatch_pixels"] == 0
    assert summary["retention"] == "spill (ram_outputs=2)"
    for key in ("fwd1", "fwd2", "rev"):
        assert cases[f"video/{key}"]["frames"] > 0
        assert cases[f"video/{key}"]["first_diverging_frame"] is None


def test_parity_detects_a_wrong_reference(micro_dir: Path, tmp_path: Path) -> None:
    """The checker fails (exit 1) when one reference logit is off by more than 1e-3."""
    for name in ("config.json", "checkpoint.pt"):
        shutil.copy(micro_dir / name, tmp_path / name)
    z = dict(np.load(micro_dir / "image.npz"))
    key = f"{z['prompt_set_names'][0]}/decoder_all_masks"
    z[key] = z[key].copy()
    z[key].flat[123] += 0.01
    np.savez(tmp_path / "image.npz", **z)
    proc = subprocess.run(
        [sys.executable, "-m", "sam2engine.parity", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    bad = [line for line in lines[:-1] if not line["ok"]]
    assert [line["case"] for line in bad] == [f"image/{z['prompt_set_names'][0]}"]
    assert lines[-1]["ok"] is False


def test_parity_on_independent_fixture() -> None:
    """A second folder made with the official code: another model size (192 px,
    d_model 32), a 20-frame clip and another call sequence (objects added late, reverse
    passes, pointer-less frames, corrections tracked in reverse)."""
    import torch

    from sam2engine import parity

    torch.set_num_threads(1)
    folder = ROOT / "tests" / "fixtures" / "sam2ref" / "independent_192"
    lines, summary = parity.run(folder)
    assert summary["ok"], [line for line in lines if not line["ok"]]
    steps = [s["key"] for s in json.loads((folder / "scenario.json").read_text())["steps"]]
    assert {f"video/{k}" for k in steps} <= {line["case"] for line in lines}
    assert summary["max_abs_logit_diff"] <= 1e-3
    assert summary["mask_mismatch_pixels"] == 0


def test_parity_when_restored_after_every_step(micro_dir: Path) -> None:
    """Every scenario step continues in a session restored from a JSON snapshot of the
    previous one, with nothing in RAM (ram_outputs=0): still the official outputs."""
    import torch

    from sam2engine import parity

    torch.set_num_threads(1)
    lines, summary = parity.run(micro_dir, ram_outputs=0, restore_each_step=True)
    assert summary["ok"], [line for line in lines if not line["ok"]]
    assert summary["restored_each_step"] is True
    assert summary["retention"] == "spill (ram_outputs=0)"
    assert summary["mask_mismatch_pixels"] == 0
