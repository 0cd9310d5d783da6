"""Write src/lib/__fixtures__/rle_backend.json: masks as the backend produced and stored them.

The masks come from a platform's database (SAM 2 clicks, propagation, brush edits written through
the API), so lib/rle.test.ts checks the browser's codec against exactly what the server sends.
Area, bbox and per-row / per-column pixel sums are computed by the backend's own codec
(backend/common/rle.py). Make the data with the end-to-end test, keeping its VAR_DIR, then run
from frontend/:

    (cd ../tests/e2e && E2E_KEEP_VAR=1 node run.mjs)      # prints the VAR_DIR it used
    ../.venv/bin/python scripts/make_backend_rle_fixture.py /tmp/sam2-e2e-XXXX
"""

import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent.parent / "src/lib/__fixtures__/rle_backend.json"
PER_ORIGIN = 2


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ["VAR_DIR"] = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from backend.common import rle as codec
    from backend.masklets.models import MaskletFrame

    cases = []
    for origin in ("click", "propagated", "edited"):
        rows = MaskletFrame.objects.filter(origin=origin, area__gt=0).order_by("masklet_id", "frame_index")
        for row in rows[:PER_ORIGIN]:
            mask = codec.decode(row.rle)
            cases.append(
                {
                    "name": f"{origin} masklet {row.masklet_id} frame {row.frame_index}",
                    "origin": origin,
                    "size": row.rle["size"],
                    "counts": row.rle["counts"],
                    "area": codec.area(row.rle),
                    "bbox": codec.bbox(row.rle),
                    "row_sums": mask.sum(axis=1).astype(int).tolist(),
                    "col_sums": mask.sum(axis=0).astype(int).tolist(),
                }
            )
    if not cases:
        print("No masks in that database.", file=sys.stderr)
        return 1
    OUT.write_text(json.dumps({"source": "backend (SAM 2 micro model via the API)", "cases": cases}) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
