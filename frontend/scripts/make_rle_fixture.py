"""Write src/lib/__fixtures__/rle_pycocotools.json: COCO RLE reference cases for lib/rle.test.ts.

Every expected value (compressed string, area, bbox) comes from pycocotools, the implementation
SA-V and the backend follow. Run from frontend/:

    ../.venv/bin/python scripts/make_rle_fixture.py
"""

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

OUT = Path(__file__).resolve().parent.parent / "src/lib/__fixtures__/rle_pycocotools.json"
# Real SA-V annotations (shared/media/sav/, CC BY 4.0); only needed to regenerate the fixture.
SAV = Path(os.environ.get("SAV_JSON", "/work/shared/media/sav/sav_000001_manual.json"))


def column_major_runs(mask: np.ndarray) -> list[int]:
    """Run lengths over the column-major pixel order, starting with a (possibly empty) run of 0s."""
    flat = mask.flatten(order="F")
    runs: list[int] = []
    current, length = 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            runs.append(length)
            current, length = int(value), 1
    runs.append(length)
    return runs


def reference(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts = rle["counts"].decode("ascii")
    # The uncompressed counts must agree with pycocotools' own compressed string.
    assert (
        mask_utils.frPyObjects(
            {"size": list(mask.shape), "counts": column_major_runs(mask)}, *mask.shape
        )["counts"].decode("ascii")
        == counts
    )
    return {
        "size": [int(mask.shape[0]), int(mask.shape[1])],
        "counts": counts,
        "runs": column_major_runs(mask),
        "area": int(mask_utils.area(rle)),
        "bbox": [float(v) for v in mask_utils.toBbox(rle)],
    }


def synthetic_cases() -> list[dict]:
    rng = np.random.default_rng(20260125)
    cases: list[tuple[str, np.ndarray]] = []
    cases.append(("empty 4x5", np.zeros((4, 5), np.uint8)))
    cases.append(("full 3x3", np.ones((3, 3), np.uint8)))
    cases.append(("1x1 zero", np.zeros((1, 1), np.uint8)))
    cases.append(("1x1 one", np.ones((1, 1), np.uint8)))
    one_corner = np.zeros((3, 4), np.uint8)
    one_corner[0, 0] = 1  # starts with a foreground pixel: the first run of 0s is empty
    cases.append(("top-left pixel 3x4", one_corner))
    last = np.zeros((3, 4), np.uint8)
    last[2, 3] = 1
    cases.append(("bottom-right pixel 3x4", last))
    row = np.zeros((5, 7), np.uint8)
    row[1, :] = 1  # a row crosses every column: many short runs in column-major order
    cases.append(("one row 5x7", row))
    cases.append(("random 7x11 p=0.3", (rng.random((7, 11)) < 0.3).astype(np.uint8)))
    cases.append(("random 16x9 p=0.5", (rng.random((16, 9)) < 0.5).astype(np.uint8)))
    yy, xx = np.mgrid[0:48, 0:64]
    cases.append(("disc 48x64", (((yy - 20) ** 2 + (xx - 40) ** 2) < 15**2).astype(np.uint8)))
    big = np.zeros((200, 300), np.uint8)
    big[150:160, 250:290] = 1  # long leading run (> 2^15): needs multi-character counts
    big[5, 5] = 1
    cases.append(("sparse 200x300", big))
    stripes = np.zeros((30, 20), np.uint8)
    stripes[:, ::3] = 1  # alternating long and short runs: negative deltas in the string
    cases.append(("stripes 30x20", stripes))
    out = []
    for name, mask in cases:
        case = {"name": name, **reference(mask)}
        case["rows"] = ["".join(str(int(v)) for v in r) for r in mask]
        out.append(case)
    return out


def sav_cases() -> list[dict]:
    """Real SA-V masks (compressed strings from the dataset), checked pixel by pixel at samples."""
    data = json.loads(SAV.read_text())
    rng = np.random.default_rng(7)
    out = []
    for frame, obj in [(0, 1), (60, 2), (120, 4)]:
        rle = data["masklet"][frame][obj]
        mask = mask_utils.decode(rle)
        case = {"name": f"SA-V sav_000001 frame {frame} object {obj}", **reference(mask)}
        assert case["counts"] == rle["counts"], "pycocotools re-encodes SA-V strings identically"
        ys, xs = np.nonzero(mask)
        picks = [(int(ys[i]), int(xs[i])) for i in rng.choice(len(ys), 20, replace=False)]
        picks += [
            (int(rng.integers(mask.shape[0])), int(rng.integers(mask.shape[1]))) for _ in range(20)
        ]
        case["samples"] = [[y, x, int(mask[y, x])] for y, x in picks]
        out.append(case)
    return out


def main() -> None:
    fixture = {
        "generator": f"pycocotools=={version('pycocotools')}, frontend/scripts/make_rle_fixture.py",
        "synthetic": synthetic_cases(),
        "sav": sav_cases(),
    }
    OUT.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    sys.stdout.write(f"wrote {OUT} ({OUT.stat().st_size} bytes)\n")


if __name__ == "__main__":
    main()
