"""Shared fixtures of the sam2engine tests: the micro reference folder and model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

MICRO = Path(__file__).resolve().parents[1] / "fixtures" / "sam2ref" / "micro"
MANIFESTS = Path(__file__).resolve().parents[1] / "fixtures" / "sam2ref" / "manifests"


@pytest.fixture(scope="session")
def micro_dir() -> Path:
    return MICRO


@pytest.fixture(scope="session")
def micro_model():
    """The micro model with the official-code checkpoint, CPU float32, one thread
    (the fixtures were generated single-threaded; one thread also avoids oversubscribing
    the 2-core CI machine)."""
    from sam2engine.build import build_model

    torch.set_num_threads(1)
    return build_model(MICRO / "config.json", MICRO / "checkpoint.pt", device="cpu")
