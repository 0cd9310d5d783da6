"""The first click on a frame an annotator looked at for a while, without and with frames
encoded ahead.

    .venv/bin/python -m worker.bench_prefetch [--config tiny|micro] [--shown-s 3]
                                              [--clicks 3] [--threads 2]
(--frames, --objects and --corrections, shared with the other loop benchmarks, are unused.)

In one throw-away process (SQLite and media in a temporary folder; clicks answered inline
by this process's worker code, as in worker/bench_loop.py): a video with one object clicked
on frame 0 (its SAM 2 state in RAM). Then first clicks on frames never seen before, each
on a new object:
``without``: the click comes with nothing encoded ahead; ``with``: the frame is shown for
``--shown-s`` seconds first; after the workspace's 300 ms rest the worker's encoding-ahead
code (worker/prefetch.py, in a thread as in a worker) encodes it, then its neighbours,
until the click comes (a click on the frame still being encoded joins that encoding);
``with ... frame_only``: the same without the neighbours. Prints one JSON line with the
engine time of each click (the time SAM 2 spent on it) and the worker's time (request to
answer). The tiny config uses random weights (speed does not depend on their values).
"""

import json
import os
import statistics
import sys
import threading
import time

from worker.bench_loop import _click, _video, scenario_arguments, setup

# The workspace reports a frame once it rested on screen this long (frameShown.ts).
REST_S = 0.3


def main() -> int:
    parser = scenario_arguments(__doc__.splitlines()[0], config="tiny")
    parser.add_argument("--shown-s", type=float, default=3.0)
    parser.add_argument("--clicks", type=int, default=3, help="first clicks of each kind")
    args = parser.parse_args()
    setup(args, "bench-prefetch-")
    from worker import prefetch

    load_before = os.getloadavg()[0]
    width, height = (int(v) for v in args.size.split("x"))
    frames = 6 * args.clicks + 4
    video, user, Masklet = _video(frames, (width, height))
    masklet = Masklet.objects.create(video=video, created_by=user)
    _click(masklet, user, 0, [[0.5, 0.5, 1]])  # the state is in RAM; the model is warm

    def first_click(frame: int) -> dict:
        # A new object each time: what the click costs does not grow with earlier clicks.
        fresh = Masklet.objects.create(video=video, created_by=user)
        answer = _click(fresh, user, frame, [[0.45, 0.5, 1]])
        return {"engine_ms": answer["engine_ms"], "task_ms": answer["task_ms"]}

    without = [first_click(3 + 6 * i) for i in range(args.clicks)]

    def shown_then_clicked(frame: int, neighbours: bool) -> dict:
        shown_at = time.monotonic()
        moved_on = threading.Event()
        outcomes: list = []
        time.sleep(REST_S)

        def encode() -> None:
            if neighbours:
                outcomes.extend(prefetch.encode_around(video.pk, frame, moved_on.is_set))
            else:
                outcomes.append(prefetch.encode_ahead(video.pk, frame, moved_on.is_set))

        worker = threading.Thread(target=encode)
        worker.start()
        time.sleep(max(0.0, args.shown_s - (time.monotonic() - shown_at)))
        result = first_click(frame)
        moved_on.set()
        worker.join()
        return {**result, "encoded_ahead": outcomes}

    with_ahead = [shown_then_clicked(6 + 6 * i, neighbours=True) for i in range(args.clicks)]
    # The same without encoding the neighbours: nothing competes with the click for the CPU.
    frame_only = [shown_then_clicked(8 + 6 * i, neighbours=False) for i in range(args.clicks)]

    def median(rows: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 1)

    print(
        json.dumps(
            {
                "config": args.config,
                "threads": args.threads,
                "shown_s": args.shown_s,
                "without_encoding_ahead": {
                    "engine_ms_median": median(without, "engine_ms"),
                    "task_ms_median": median(without, "task_ms"),
                    "clicks": without,
                },
                "with_encoding_ahead": {
                    "engine_ms_median": median(with_ahead, "engine_ms"),
                    "task_ms_median": median(with_ahead, "task_ms"),
                    "clicks": with_ahead,
                },
                "with_encoding_ahead_frame_only": {
                    "engine_ms_median": median(frame_only, "engine_ms"),
                    "task_ms_median": median(frame_only, "task_ms"),
                    "clicks": frame_only,
                },
                "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
