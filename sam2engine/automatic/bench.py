"""``python -m sam2engine.bench --what automatic``: automatic mask generation time per frame
(options in sam2engine/bench.py, ``_add_automatic_arguments``).

For each ``--amg-points-per-side`` grid (official defaults otherwise: IoU 0.8, stability
0.95, no crops; ``--amg-settings`` changes any) the generator runs ``--repeats`` times on
one frame (the first of ``--clip``, or the synthetic frame at ``--resolution``); the JSON
gets the median ``generate_s``, the number of masks and a digest of their RLEs. With
``--official-python PY`` (an interpreter with the official ``sam2`` package, never a
project dependency), the official generator runs in that interpreter on the same frame
with the same weights (saved to a temporary checkpoint), and the JSON puts both side by
side: ``official_generate_s``, ``speedup`` (official / engine, same run, same machine) and
``same_masks`` (equal RLE digests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sam2engine.automatic.generator import (
    AutomaticMask,
    AutomaticMaskGenerator,
    AutomaticMaskSettings,
)
from sam2engine.config import CONFIG_DIR, PRESETS
from sam2engine.modeling.sam2 import SAM2Model

# The official side (needs the official package): shipped with the parity fixture.
OFFICIAL_SCRIPT = (
    Path(__file__).resolve().parents[2]
    / "tests"
    / "fixtures"
    / "sam2ref"
    / "automatic_micro"
    / "official.py"
)


def rle_digest(masks: list[AutomaticMask]) -> str:
    """sha1 over the masks' uncompressed RLE counts, in order (as official.py computes it)."""
    h = hashlib.sha1()
    for m in masks:
        h.update(json.dumps(m.rle["counts"]).encode())
    return h.hexdigest()


def bench_automatic(
    model: SAM2Model, image: np.ndarray, args: argparse.Namespace, sync: Callable[[], None]
) -> dict[str, Any]:
    try:
        extra = json.loads(args.amg_settings)
        for pps in args.amg_points_per_side:
            AutomaticMaskSettings.from_dict(
                {**extra, "points_per_side": pps, "points_per_batch": args.amg_points_per_batch}
            )
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"--amg-settings / --amg-points-*: {exc}") from None
    grids: list[dict[str, Any]] = []
    for pps in args.amg_points_per_side:
        settings = AutomaticMaskSettings.from_dict(
            {**extra, "points_per_side": pps, "points_per_batch": args.amg_points_per_batch}
        )
        generator = AutomaticMaskGenerator(model, settings, precision=args.precision)
        # Warm-up of the kernels on a small grid (a full run would double the bench's time).
        AutomaticMaskGenerator(
            model, AutomaticMaskSettings(points_per_side=2), precision=args.precision
        ).generate(image)
        times, masks = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            masks = generator.generate(image)
            sync()
            times.append(time.perf_counter() - t0)
        grids.append(
            {
                "points_per_side": pps,
                "points_per_batch": args.amg_points_per_batch,
                "generate_s": round(statistics.median(times), 3),
                "masks": len(masks),
                "rle_sha1": rle_digest(masks),
            }
        )
    out: dict[str, Any] = {
        "automatic": grids,
        "automatic_settings": extra,
        "image_hw": list(image.shape[:2]),
    }
    if args.official_python:
        official = _run_official(model, image, args)
        out["official"] = official
        for mine, theirs in zip(grids, official["grids"], strict=True):
            mine["official_generate_s"] = theirs["generate_s"]
            mine["speedup"] = round(theirs["generate_s"] / mine["generate_s"], 2)
            mine["same_masks"] = theirs["rle_sha1"] == mine["rle_sha1"]
    return out


def _run_official(model: SAM2Model, image: np.ndarray, args: argparse.Namespace) -> dict[str, Any]:
    if not OFFICIAL_SCRIPT.is_file():
        raise SystemExit(f"--official-python needs {OFFICIAL_SCRIPT} (a repository checkout)")
    config = (
        Path(args.config)
        if args.config.endswith(".json")
        else CONFIG_DIR / PRESETS.get(args.config, f"{args.config}.json")
    )
    with tempfile.TemporaryDirectory(prefix="sam2engine-amg-bench-") as tmp:
        checkpoint = Path(tmp, "weights.pt")
        # Module names are the checkpoint keys: the official model loads these weights as is.
        torch.save({"model": {k: v.cpu() for k, v in model.state_dict().items()}}, checkpoint)
        frame = Path(tmp, "frame.npy")
        np.save(frame, image)
        cmd = [
            args.official_python,
            str(OFFICIAL_SCRIPT),
            "bench",
            "--config",
            str(config),
            "--checkpoint",
            str(checkpoint),
            "--frame",
            str(frame),
            "--points-per-side",
            *(str(p) for p in args.amg_points_per_side),
            "--points-per-batch",
            str(args.amg_points_per_batch),
            "--threads",
            str(torch.get_num_threads()),
            "--repeats",
            str(args.repeats),
            "--settings",
            args.amg_settings,
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise SystemExit(f"--official-python {args.official_python}: {exc}") from None
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"official generator failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
