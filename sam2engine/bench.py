"""Benchmark of the engine: image embedding, prompt decoding and video propagation.

    python -m sam2engine.bench --config tiny --frames 24 --objects 3 --threads 2
    python -m sam2engine.bench --config tiny --frames 24 --clip FRAMES_DIR_OR_VIDEO
    python -m sam2engine.bench --config base_plus --device cuda --precision bfloat16 --compile

Prints ONE JSON line: ``set_image_ms`` and ``predict_ms`` (medians after a warm-up),
``propagate_fps`` (frames yielded by propagation / its wall time, the official benchmark's
definition), ``peak_rss_mb`` (the process's peak resident memory, ``getrusage`` ``ru_maxrss``:
everything since start, model and torch included, like the official measurement),
``peak_cuda_mb`` (``torch.cuda.max_memory_allocated``; null off CUDA), plus the context
(config, device, precision, threads, frames, objects, video size, weights).

Without ``--checkpoint`` the model has random weights: timing and memory do not depend on weight
values, but the masks are meaningless; the JSON says ``"weights": "random"``. Without ``--clip``
the frames are synthetic (moving textured shapes) and generated on demand, so that the clip itself
takes no memory and long runs (600 frames) measure the engine, not the test data. ``--what``
restricts the run to the image or the video part, one measurement per process, so that
``peak_rss_mb`` belongs to that part alone; ``--what automatic`` times the automatic mask
generator instead (see ``sam2engine/automatic/bench.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

# Click positions (fractions of width, height) of up to three objects: the centres of the
# synthetic clip's shapes at t = 0, and the same points as the official benchmark script uses.
CLICKS: tuple[tuple[float, float], ...] = ((0.2, 0.3), (0.7, 0.6), (0.45, 0.75))


class SyntheticClip(Sequence[np.ndarray]):
    """``n`` frames of ``h x w`` uint8 RGB made on demand: smooth moving gradients, three moving
    discs and noise (so JPEG-like content, not a constant image).

    Frame t is a pure function of t.
    """

    def __init__(self, n: int, h: int, w: int) -> None:
        self.n, self.h, self.w = n, h, w
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        self._yy, self._xx = yy, xx

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, t: int) -> np.ndarray:  # type: ignore[override]
        if not 0 <= t < self.n:
            raise IndexError(t)
        yy, xx, h, w = self._yy, self._xx, self.h, self.w
        img = np.empty((h, w, 3), np.float32)
        img[..., 0] = 90 + 60 * np.sin((xx + 4 * t) / 23.0)
        img[..., 1] = 110 + 50 * np.cos((yy - 3 * t) / 17.0)
        img[..., 2] = 120 + 40 * np.sin((xx + yy) / 41.0)
        for k, (cx, cy) in enumerate(CLICKS):
            x0 = (cx + 0.01 * t * (1 if k % 2 == 0 else -1)) * w
            disc = (xx - x0) ** 2 + (yy - cy * h) ** 2 <= ((0.08 + 0.01 * k) * w) ** 2
            img[disc] = (220 - 60 * k, 60 + 70 * k, 50 + 30 * k)
        img += np.random.default_rng(t).normal(0.0, 4.0, img.shape).astype(np.float32)
        return np.clip(img, 0, 255).astype(np.uint8)


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it started, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (
        peak / 2**20 if sys.platform == "darwin" else peak / 1024.0
    )  # bytes on macOS, KiB on Linux


def rss_now_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak is the best available figure
        return peak_rss_mb()


def _parse_resolution(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"resolution must be HxW, e.g. 480x640, not {text!r}"
        ) from None
    if h < 16 or w < 16:
        raise argparse.ArgumentTypeError("resolution must be at least 16x16")
    return h, w


def _median_ms(fn: Any, repeats: int, sync: Any) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1000.0)
    return round(statistics.median(times), 3)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m sam2engine.bench", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument(
        "--config",
        default="tiny",
        help="preset (tiny, small, base_plus, large, micro) or config JSON",
    )
    ap.add_argument(
        "--checkpoint", default=None, help="checkpoint to load (default: random weights)"
    )
    ap.add_argument("--frames", type=int, default=24, help="frames to propagate over")
    ap.add_argument("--objects", type=int, default=1, help="objects tracked (batched)")
    ap.add_argument(
        "--resolution",
        type=_parse_resolution,
        default=None,
        help="HxW of the synthetic frames and of the set_image image (default 480x640)",
    )
    ap.add_argument(
        "--clip",
        default=None,
        help="real frames: a JPEG folder or a video file (first --frames used)",
    )
    ap.add_argument("--device", default="auto", help="cpu, cuda, mps or auto")
    ap.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "float32", "bfloat16"],
        help="auto: bfloat16 autocast on CUDA, float32 elsewhere",
    )
    ap.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the image encoder of the video predictor (propagation)",
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)"
    )
    ap.add_argument(
        "--repeats", type=int, default=3, help="timed repeats of set_image (predict: at least 5)"
    )
    ap.add_argument(
        "--what",
        choices=["all", "image", "video", "automatic"],
        default="all",
        help="which part to measure; one part per process gives that part's own peak memory "
        "(automatic: the automatic mask generator, never part of all)",
    )
    _add_automatic_arguments(ap)
    return ap


def _add_automatic_arguments(ap: argparse.ArgumentParser) -> None:
    """Options of ``--what automatic`` (run by sam2engine/automatic/bench.py)."""
    group = ap.add_argument_group("--what automatic")
    group.add_argument(
        "--amg-points-per-side",
        type=int,
        nargs="+",
        default=[32, 16],
        help="grids to time (default: 32, the official default, and 16)",
    )
    group.add_argument(
        "--amg-points-per-batch", type=int, default=64, help="prompts decoded together"
    )
    group.add_argument(
        "--amg-settings",
        default="{}",
        help="other generator settings as JSON, e.g. '{\"pred_iou_thresh\": 0}'",
    )
    group.add_argument(
        "--official-python",
        default=None,
        help="python of a scratch venv with sam2==1.1.0: time the official generator too",
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from sam2engine.build import build_model
    from sam2engine.config import ModelConfig
    from sam2engine.device import resolve_device
    from sam2engine.inference.frames import open_frames

    if args.frames < 1 or args.objects < 1:
        raise SystemExit("--frames and --objects must be at least 1")
    if args.objects > len(CLICKS):
        raise SystemExit(f"--objects: at most {len(CLICKS)} (one click position per object)")
    if args.clip and args.resolution:
        raise SystemExit("--resolution applies to synthetic frames; a --clip has its own size")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)  # random weights are the same in every run

    device = resolve_device(args.device)
    config = (
        ModelConfig.from_json(args.config)
        if args.config.endswith(".json")
        else ModelConfig.preset(args.config)
    )
    res: dict[str, Any] = {
        "config": config.name,
        "weights": args.checkpoint or "random",
        "device": str(device),
        # What actually runs: autocast exists on CUDA only (sam2engine.device.autocast_context).
        "precision": "bfloat16"
        if device.type == "cuda" and args.precision != "float32"
        else "float32",
        "compile": bool(args.compile),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }

    if args.clip:
        frames = open_frames(args.clip)
        if len(frames) < args.frames:
            raise SystemExit(
                f"--clip {args.clip}: {len(frames)} frames, --frames {args.frames} asked for"
            )
    else:
        h, w = args.resolution or (480, 640)
        frames = open_frames(SyntheticClip(args.frames, h, w))
    res["video_hw"] = [frames.height, frames.width]

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    model = build_model(config, args.checkpoint, device)
    res["build_s"] = round(time.perf_counter() - t0, 3)
    res["rss_after_model_mb"] = round(rss_now_mb(), 1)

    res["set_image_ms"] = res["predict_ms"] = None
    if args.what in ("all", "image"):
        res.update(_bench_image(model, frames[0], args, sync))
    res["propagate_fps"] = None
    if args.what in ("all", "video"):
        res.update(_bench_video(model, frames, args, sync))
    if args.what == "automatic":
        from sam2engine.automatic.bench import bench_automatic

        res.update(bench_automatic(model, frames[0], args, sync))

    res["peak_rss_mb"] = round(peak_rss_mb(), 1)
    res["peak_cuda_mb"] = (
        round(torch.cuda.max_memory_allocated() / 2**20, 1) if device.type == "cuda" else None
    )
    return res


def _bench_image(
    model: Any, image: np.ndarray, args: argparse.Namespace, sync: Any
) -> dict[str, Any]:
    from sam2engine.inference.image_predictor import ImagePredictor

    predictor = ImagePredictor(model, precision=args.precision)
    h, w = image.shape[:2]
    point = np.array([[CLICKS[0][0] * w, CLICKS[0][1] * h]], np.float32)
    label = np.array([1], np.int32)
    predictor.set_image(image)  # warm-up (and compilation, with --compile)
    set_image_ms = _median_ms(lambda: predictor.set_image(image), args.repeats, sync)
    predictor.predict(point_coords=point, point_labels=label, multimask_output=True)
    predict_ms = _median_ms(
        lambda: predictor.predict(point_coords=point, point_labels=label, multimask_output=True),
        max(5, args.repeats),
        sync,
    )
    return {"set_image_ms": set_image_ms, "predict_ms": predict_ms}


def _bench_video(model: Any, frames: Any, args: argparse.Namespace, sync: Any) -> dict[str, Any]:
    from sam2engine.inference.predictor import VideoPredictor

    predictor = VideoPredictor(model, precision=args.precision, compile_image_encoder=args.compile)
    session = predictor.start_session(frames)
    h, w = frames.height, frames.width
    out: dict[str, Any] = {"frames": args.frames, "objects": args.objects}
    try:
        t0 = time.perf_counter()
        for k in range(args.objects):
            cx, cy = CLICKS[k]
            session.add_points(
                0, k + 1, np.array([[cx * w, cy * h]], np.float32), np.array([1], np.int32)
            )
        sync()
        out["add_prompt_ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
        out["rss_before_propagate_mb"] = round(rss_now_mb(), 1)

        n = 0
        present = 0
        # Resident memory every `every` frames: flat once the memory window is full if the session
        # keeps only what tracking needs (a store that grows per frame shows as a slope).
        every = max(1, args.frames // 12)
        trace: list[list[float]] = []
        t0 = time.perf_counter()
        for result in session.propagate(0, max_frames=args.frames - 1):
            n += 1
            present += int(
                (np.asarray(result.object_scores) > 0).sum()
            )  # consume the output as a caller would
            if n % every == 0 or n == args.frames:
                trace.append([result.frame_index, round(rss_now_mb(), 1)])
        sync()
        dt = time.perf_counter() - t0
        out.update(
            {
                "propagate_s": round(dt, 3),
                "propagated_frames": n,
                "propagate_fps": round(n / dt, 4),
                # object-frames with a positive score (meaningful with real weights)
                "objects_present": present,
                "rss_trace_mb": trace,  # [frame index, resident MiB] during propagation
                "session": session.stats(),
            }
        )
    finally:
        session.close()
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    res = run(args)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
