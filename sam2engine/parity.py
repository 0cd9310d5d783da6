"""Numerical parity with the official SAM 2.1 implementation.

    python -m sam2engine.parity FOLDER [--ram-outputs N | --all-in-ram] [--restore-each-step]
                                       [--threads N]

FOLDER is in the format of ``sam2ref/micro`` (config.json, checkpoint.pt, image.npz,
video.npz, scenario.json). The model is built from FOLDER/config.json, the checkpoint
is loaded strictly, every prompt set of image.npz and every step of scenario.json is
replayed (CPU, float32) and compared with the stored official outputs. One JSON line
per case, then a summary line; exit status 1 if any case is outside tolerance.

Tolerances (README §5 of the fixtures): backbone features within 1e-4 of their value
range; logits within 1e-3 absolute; IoU / object scores within 1e-3; object pointers
within 1e-4 of the range of all reference pointers; bfloat16 memories within one
bfloat16 step plus 1e-4 of their range; identical discrete decisions (present/absent,
chosen multimask token, stability fallback, conditioning storage); binary masks
identical except pixels whose reference logit is within 1e-3 of 0.

The video replay runs the engine's default (exact, bounded-RAM) session with a small RAM
window (``--ram-outputs``, default 2 tracked outputs per object), so that outputs are
spilled to the output store and read back throughout; ``--all-in-ram`` keeps every output
in RAM instead. ``--restore-each-step`` also snapshots the session after every scenario
step (through JSON) and continues in a new session restored from it.

Nothing here depends on the micro fixture's values: sizes, prompts, objects and call
sequences are all read from the folder.

The checks are in :mod:`sam2engine.parity_compare` (tolerances, :class:`Case`),
:mod:`sam2engine.parity_image` and :mod:`sam2engine.parity_video`; this module runs them on a
folder, summarises them and is the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sam2engine.parity_compare import Case
from sam2engine.parity_image import replay_image
from sam2engine.parity_video import DEFAULT_REPLAY_RAM_OUTPUTS, replay_video


def run(
    folder: str | Path,
    ram_outputs: int | None = DEFAULT_REPLAY_RAM_OUTPUTS,
    restore_each_step: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from sam2engine.build import build_model
    from sam2engine.config import ModelConfig

    folder = Path(folder)
    config_raw = json.loads((folder / "config.json").read_text())
    cfg = ModelConfig.from_dict(config_raw)
    model = build_model(cfg, folder / "checkpoint.pt", device="cpu")
    cases: list[Case] = []
    if (folder / "image.npz").is_file():
        cases += replay_image(model, np.load(folder / "image.npz"))
    if (folder / "video.npz").is_file() and (folder / "scenario.json").is_file():
        scenario = json.loads((folder / "scenario.json").read_text())
        cases += replay_video(
            model,
            np.load(folder / "video.npz"),
            scenario,
            config_raw,
            ram_outputs,
            restore_each_step,
        )
    lines = [c.line() for c in cases]

    def _max(key: str) -> float | None:
        vals = [
            v for line in lines for k, v in line.items() if k == key and isinstance(v, (int, float))
        ]
        return max(vals) if vals else None

    frames: list[int] = [
        frame for line in lines if (frame := line.get("first_diverging_frame")) is not None
    ]
    summary = {
        "summary": True,
        "folder": str(folder),
        "cases": len(lines),
        "failed": sum(not line["ok"] for line in lines),
        "max_abs_logit_diff": _max("max_abs_logit_diff"),
        "max_object_score_diff": _max("max_object_score_diff"),
        "max_iou_diff": _max("max_iou_diff"),
        "max_obj_ptr_rel_diff": _max("obj_ptr_rel_diff"),
        "max_feature_rel_diff": max(
            [
                v
                for line in lines
                for k, v in line.items()
                if k.endswith("_rel_diff") and k != "obj_ptr_rel_diff" and isinstance(v, float)
            ]
            or [0.0]
        ),
        "mask_mismatch_pixels": sum(int(line.get("mask_mismatch_pixels", 0)) for line in lines),
        "mask_near_zero_flips": sum(int(line.get("mask_near_zero_flips", 0)) for line in lines),
        "first_diverging_frame": min(frames) if frames else None,
        "retention": "all in RAM" if ram_outputs is None else f"spill (ram_outputs={ram_outputs})",
        "restored_each_step": restore_each_step,
    }
    summary["ok"] = summary["failed"] == 0
    return lines, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sam2engine.parity", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "folder",
        help="fixture folder (config.json, checkpoint.pt, image.npz, video.npz, scenario.json)",
    )
    parser.add_argument(
        "--ram-outputs",
        type=int,
        default=DEFAULT_REPLAY_RAM_OUTPUTS,
        help="tracked outputs per object kept in RAM during the video replay (default "
        f"{DEFAULT_REPLAY_RAM_OUTPUTS}, so that spilling is exercised; 0 spills all)",
    )
    parser.add_argument(
        "--all-in-ram",
        action="store_true",
        help="keep every output in RAM (retain_all_outputs) instead of spilling",
    )
    parser.add_argument(
        "--restore-each-step",
        action="store_true",
        help="after every scenario step, snapshot the session and continue in a restored one",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1, as the fixtures were made; 0: torch default)",
    )
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.ram_outputs < 0:
        parser.error("--ram-outputs must be >= 0")
    lines, summary = run(
        args.folder,
        ram_outputs=None if args.all_in_ram else args.ram_outputs,
        restore_each_step=args.restore_each_step,
    )
    for line in [*lines, summary]:
        sys.stdout.write(json.dumps(line, default=str) + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
