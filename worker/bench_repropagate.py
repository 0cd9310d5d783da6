"""Corrections re-propagated in full vs only what changed (`until_agreement`).

    .venv/bin/python -m worker.bench_repropagate [--frames 300] [--objects 3]
                                                 [--corrections 10] [--config micro|tiny]

In one throw-away process (SQLite and media in a temporary folder; propagation jobs run
inline through the real job path: service, task, worker, stored masks): two identical
videos (the first frames of a real clip) get the same script: one click per object on
frame 0, propagation of all objects to the end, then corrections spread over the video (a
negative click on a propagated frame of one object, objects in turn) each followed by a
propagation of that object forward from it: to the end on the first video, until agreement
on the second. Prints one JSON line: frames recomputed and seconds spent by the corrections'
propagations on each, and how the final stored masks of the two videos differ (frames and
pixels). The tiny config uses random weights (speed does not depend on their values).
"""

import json
import os
import sys
import time

from worker.bench_loop import _click, _video, scenario_arguments, setup


def _propagate(video, user, masklets, start: int, until_agreement: bool) -> dict:  # type: ignore[no-untyped-def]
    """One propagation job, run inline on commit (Celery eager); returns the job's result."""
    from django.db import transaction

    from backend.masklets.models import PropagationJob
    from backend.masklets.propagation import propagation_job_create

    with transaction.atomic():
        job = propagation_job_create(
            video=video,
            author=user,
            masklets=masklets,
            start_frame=start,
            direction="forward",
            until_agreement=until_agreement,
        )
    job = PropagationJob.objects.get(pk=job.pk)
    assert job.status == "done", (job.status, job.error)
    return job.result


def _scenario(args, user, Masklet, until_agreement: bool) -> dict:  # type: ignore[no-untyped-def]
    from backend.masklets.enums import ActionKind
    from backend.masklets.models import SessionAction

    width, height = (int(v) for v in args.size.split("x"))
    video, _user, _m = _video(args.frames, (width, height))
    masklets = [Masklet.objects.create(video=video, created_by=user) for _ in range(args.objects)]
    for i, masklet in enumerate(masklets):
        _click(masklet, user, 0, [[(i + 1) / (args.objects + 1), 0.5, 1]])
    _propagate(video, user, masklets, 0, until_agreement=False)
    first = SessionAction.objects.filter(video=video).order_by("-seq").values_list("seq")[0][0]
    step = max(1, args.frames // (args.corrections + 1))
    seconds = 0.0
    stops = []
    for c in range(args.corrections):
        frame = min(args.frames - 1, (c + 1) * step)
        masklet = masklets[c % len(masklets)]
        _click(masklet, user, frame, [[0.3 + 0.04 * c, 0.4, 0]])
        started = time.perf_counter()
        result = _propagate(video, user, [masklet], frame, until_agreement)
        seconds += time.perf_counter() - started
        for stop in result.get("stops", []):
            stops.append({"from": frame, "last": stop["last"], "reason": stop["reason"]})
    runs = SessionAction.objects.filter(video=video, seq__gt=first, kind=ActionKind.PROPAGATE)
    recomputed = sum(
        (abs(r.frame_last - r.frame_index) + 1) * len(r.object_ids)
        for r in runs
        if r.frame_last is not None
    )
    return {
        "video": video,
        "masklets": masklets,
        "object_frames_recomputed": recomputed,
        "propagation_s": round(seconds, 2),
        "stops": stops,
    }


def _differences(full: dict, partial: dict) -> dict:
    """Frames and pixels where the final stored masks of the two runs differ."""
    import numpy as np

    from backend.common import rle
    from backend.masklets.models import MaskletFrame

    frames = pixels = 0
    for a, b in zip(full["masklets"], partial["masklets"], strict=True):
        stored_a = dict(MaskletFrame.objects.filter(masklet=a).values_list("frame_index", "rle"))
        stored_b = dict(MaskletFrame.objects.filter(masklet=b).values_list("frame_index", "rle"))
        for frame in sorted(set(stored_a) | set(stored_b)):
            if frame not in stored_a or frame not in stored_b:
                frames += 1
                continue
            differ = int(
                np.count_nonzero(rle.decode(stored_a[frame]) != rle.decode(stored_b[frame]))
            )
            frames += differ > 0
            pixels += differ
    return {"frames_differing": frames, "pixels_differing": pixels}


def main() -> int:
    args = scenario_arguments(__doc__.splitlines()[0]).parse_args()
    setup(args, "bench-repropagate-")
    import worker.tasks  # noqa: F401 -- registers the propagation task (run inline)
    from backend.accounts.models import User
    from backend.masklets.models import Masklet

    load_before = os.getloadavg()[0]
    user = User.objects.create(username="bench-repropagate")
    full = _scenario(args, user, Masklet, until_agreement=False)
    partial = _scenario(args, user, Masklet, until_agreement=True)
    total = args.frames * args.objects
    print(
        json.dumps(
            {
                "config": args.config,
                "frames": args.frames,
                "objects": args.objects,
                "corrections": args.corrections,
                "size": args.size,
                "threads": args.threads,
                "object_frames_total": total,
                "full": {k: full[k] for k in ("object_frames_recomputed", "propagation_s")},
                "until_agreement": {
                    k: partial[k] for k in ("object_frames_recomputed", "propagation_s", "stops")
                },
                "recomputed_ratio": round(
                    partial["object_frames_recomputed"] / max(1, full["object_frames_recomputed"]),
                    3,
                ),
                "final_masks": _differences(full, partial),
                "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
