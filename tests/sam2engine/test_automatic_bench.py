"""python -m sam2engine.bench --what automatic on the micro config: one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sam2engine.bench", "--config", "micro", "--threads", "1", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bench_automatic_micro() -> None:
    proc = _bench(
        "--what",
        "automatic",
        "--resolution",
        "64x96",
        "--repeats",
        "1",
        "--amg-points-per-side",
        "4",
        "2",
        "--amg-settings",
        '{"pred_iou_thresh": 0, "stability_score_thresh": 0}',
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    res = json.loads(lines[0])
    assert res["image_hw"] == [64, 96]
    assert res["automatic_settings"] == {"pred_iou_thresh": 0, "stability_score_thresh": 0}
    assert [g["points_per_side"] for g in res["automatic"]] == [4, 2]
    for grid in res["automatic"]:
        assert grid["points_per_batch"] == 64
        assert 0 < grid["generate_s"] < 300
        assert grid["masks"] >= 1  # no filters: NMS keeps at least one mask
        assert len(grid["rle_sha1"]) == 40
        assert "speedup" not in grid  # no --official-python
    assert res["set_image_ms"] is None
    assert res["propagate_fps"] is None


def test_bench_automatic_rejects_bad_settings() -> None:
    proc = _bench("--what", "automatic", "--resolution", "32x32", "--amg-settings", '{"x": 1}')
    assert proc.returncode != 0
    assert "unknown settings: x" in proc.stderr
    proc = _bench(
        "--what",
        "automatic",
        "--resolution",
        "32x32",
        "--amg-points-per-side",
        "2",
        "--official-python",
        "/nonexistent/python",
    )
    assert proc.returncode != 0
    assert "--official-python /nonexistent/python" in proc.stderr
