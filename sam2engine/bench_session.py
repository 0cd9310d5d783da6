"""``python -m sam2engine.bench --what session``: what exact sessions cost.

RAM and disk per 1,000 frames and object, the share of propagation time spent spilling,
snapshot and restore times, and a correction click on a spilled frame vs a resident one.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any

from sam2engine.bench import CLICKS, rss_now_mb


def _index_bytes_per_output(session: Any) -> float:
    """Python bookkeeping of one spilled output (handle, key, table entries), measured with
    ``sys.getsizeof``: what RAM still grows by per frame and object."""
    total, count = 0.0, 0
    for obj in session.objects:
        n = len(obj.non_cond)
        if not n:
            continue
        per_entry = (sys.getsizeof(obj.non_cond) + sys.getsizeof(obj.tracked)) / n
        for frame, ref in obj.non_cond.items():
            total += sys.getsizeof(ref) + sys.getsizeof(ref.key) + sys.getsizeof(frame)
            total += per_entry
            count += 1
    return total / max(count, 1)


def _timed_click(
    session: Any, frame: int, obj_id: int, xy: tuple[float, float], sync: Any
) -> dict[str, float]:
    session.features(frame)  # the backbone is not what is measured
    before = session.stats()
    t0 = time.perf_counter()
    session.add_prompt(frame, obj_id, points=[list(xy)], labels=[0])
    sync()
    after = session.stats()
    return {
        "ms": (time.perf_counter() - t0) * 1000.0,
        "reads": after["reads"] - before["reads"],
        "read_ms": (after["read_s"] - before["read_s"]) * 1000.0,
    }


def _slope_mb_per_frame(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of RSS over frames (the noise of single samples averages out)."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(f for f, _ in points) / n
    my = sum(r for _, r in points) / n
    var = sum((f - mx) ** 2 for f, _ in points)
    return sum((f - mx) * (r - my) for f, r in points) / var if var else None


def bench_session(model: Any, frames: Any, args: argparse.Namespace, sync: Any) -> dict[str, Any]:
    from sam2engine.inference.predictor import VideoPredictor
    from sam2engine.inference.session import DEFAULT_RAM_OUTPUTS
    from sam2engine.inference.snapshot import (
        SessionSnapshot,
        _weights_cache,
        weights_fingerprint,
    )
    from sam2engine.inference.store import DiskOutputStore

    window = DEFAULT_RAM_OUTPUTS if args.ram_outputs is None else args.ram_outputs
    n, n_obj = args.frames, args.objects
    # Frames whose whole neighbourhood (15 frames before) left the RAM window, 16 apart.
    spilled = list(range(16, n - window - 16, 16))[:3]
    if not spilled:
        raise SystemExit(f"--what session: --frames must exceed --ram-outputs ({window}) + 32")
    resident = [n - 2, n - 3, n - 4]
    predictor = VideoPredictor(
        model, precision=args.precision, compile_image_encoder=args.compile, ram_outputs=window
    )
    folder = args.store or tempfile.mkdtemp(prefix="sam2engine-bench-")
    store = DiskOutputStore(folder)
    session = predictor.start_session(frames, store=store)
    restored = None
    h, w = frames.height, frames.width
    out: dict[str, Any] = {"frames": n, "objects": n_obj, "ram_outputs": window}
    try:
        for k in range(n_obj):
            cx, cy = CLICKS[k]
            session.add_points(0, k + 1, [[cx * w, cy * h]], [1])
        every = max(1, n // 12)
        trace: list[list[float]] = []
        after_full: list[tuple[int, float]] = []  # RSS once the RAM window is full
        t0 = time.perf_counter()
        for result in session.propagate(0, max_frames=n - 1):
            f = result.frame_index
            rss = rss_now_mb()
            if f >= window + 16:
                after_full.append((f, rss))
            if (f + 1) % every == 0 or f == n - 1:
                trace.append([f, round(rss, 1)])
        sync()
        propagate_s = time.perf_counter() - t0
        st = session.stats()
        outputs = n * n_obj
        per_output_ram = st["resident_bytes"] / max(st["resident_outputs"], 1)
        index = _index_bytes_per_output(session)
        # RSS noise (allocator, page cache of the store) swamps the slope of short runs.
        slope = _slope_mb_per_frame(after_full) if len(after_full) >= 200 else None
        out.update(
            {
                "propagate_s": round(propagate_s, 3),
                "propagate_fps": round(n / propagate_s, 4),
                "spill_write_share": round(st["write_s"] / propagate_s, 4),
                "ram_session_tensors_mb": round(st["resident_bytes"] / 2**20, 2),
                "ram_index_kb_per_1000_frames_object": round(index * 1000 / 1024, 1),
                "rss_growth_mb_per_1000_frames_object": (
                    None if slope is None else round(slope * 1000 / n_obj, 1)
                ),
                "all_in_ram_mb_per_1000_frames_object": round(per_output_ram * 1000 / 2**20, 1),
                "rss_trace_mb": trace,
            }
        )

        t0 = time.perf_counter()
        snapshot = session.snapshot()
        out["snapshot_first_s"] = round(time.perf_counter() - t0, 4)
        t0 = time.perf_counter()
        text = session.snapshot().to_json()
        out["snapshot_again_s"] = round(time.perf_counter() - t0, 4)
        out["snapshot_json_kb"] = round(len(text) / 1024, 1)
        out["snapshot_outputs"] = len(snapshot.keys())
        store_bytes = store.total_bytes()  # every output is on disk now
        out["disk_mb_per_1000_frames_object"] = round(store_bytes / outputs * 1000 / 2**20, 1)
        out["blob_kb"] = round(store_bytes / max(len(store.keys()), 1) / 1024, 1)

        xy = (CLICKS[0][0] * w, CLICKS[0][1] * h)
        res_clicks = [_timed_click(session, f, 1, xy, sync) for f in resident]
        spill_clicks = [_timed_click(session, f, 1, xy, sync) for f in spilled]
        out["correction_resident_ms"] = round(statistics.median(c["ms"] for c in res_clicks), 2)
        out["correction_spilled_ms"] = round(statistics.median(c["ms"] for c in spill_clicks), 2)
        out["correction_spilled_reads"] = [c["reads"] for c in spill_clicks]
        out["correction_spilled_read_ms"] = round(
            statistics.median(c["read_ms"] for c in spill_clicks), 2
        )
        out["correction_resident_read_ms"] = round(
            statistics.median(c["read_ms"] for c in res_clicks), 2
        )

        # A new worker process hashes the weights once (then cached per model).
        _weights_cache.clear()
        t0 = time.perf_counter()
        weights_fingerprint(model)
        out["weights_fingerprint_s"] = round(time.perf_counter() - t0, 4)
        t0 = time.perf_counter()
        restored = predictor.restore_session(
            frames, SessionSnapshot.from_json(text), DiskOutputStore(folder)
        )
        out["restore_s"] = round(time.perf_counter() - t0, 4)
        click = _timed_click(restored, n // 2, 1, xy, sync)
        out["click_after_restore_ms"] = round(click["ms"], 2)
        out["click_after_restore_reads"] = click["reads"]
        out["click_after_restore_read_ms"] = round(click["read_ms"], 2)
        out["session"] = session.stats()
    finally:
        session.close()
        if restored is not None:
            restored.close()
        if args.store is None:
            shutil.rmtree(folder, ignore_errors=True)
    return out
