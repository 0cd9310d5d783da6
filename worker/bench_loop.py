"""Takeover of a video's SAM 2 state: loading its snapshot vs replaying its action log.

    .venv/bin/python -m worker.bench_loop [--frames 300] [--objects 3] [--corrections 10]
                                          [--config micro|tiny] [--threads 2]

In one throw-away process (SQLite and media in a temporary folder; no web server, no
broker): a video made of the first frames of a real clip, one click per object on frame 0,
propagation of all objects to the end, then corrections spread over the video (a negative
click on a propagated frame, then propagation from it to the end, objects in turn). Then a
worker that does not hold the state (a restarted or another worker) answers one more click:
once loading the state's snapshot from storage, once replaying the whole log. Also: a click
on a video whose state is in RAM vs one evicted from RAM (snapshot load). Prints one JSON
line. The tiny config uses random weights (speed does not depend on their values).
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MICRO = REPO / "tests" / "fixtures" / "sam2ref" / "micro"
CLIP = REPO / "tests" / "fixtures" / "videos" / "21_biker.mp4"


def _setup_django(var: Path, config: str, checkpoint: str) -> None:
    os.environ.update(
        VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
        DATABASE_URL=f"sqlite:///{var / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="backend.config.django.local",
        SAM2_CONFIG=config,
        SAM2_CHECKPOINT=checkpoint,
        SAM2_DEVICE="cpu",
        SAM2_MAX_SESSIONS="1",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings

    # Live-event wake-ups stay in this process (there is no broker).
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from django.core.management import call_command

    from backend.config.celery import app

    call_command("migrate", verbosity=0)
    # Clicks are answered inline by this process's worker code (no broker, no web server).
    app.conf.task_always_eager = True
    import worker.clicks  # noqa: F401 -- registers the inline click handler


def _random_checkpoint(var: Path, config: str) -> str:
    """A checkpoint of random weights for a shipped config (no weights can be downloaded)."""
    import torch

    from sam2engine import ModelConfig, build_model

    torch.manual_seed(0)
    model = build_model(ModelConfig.preset(config), device="cpu")
    path = var / f"random-{config}.pt"
    torch.save({"model": model.state_dict()}, path)
    return str(path)


def _video(frames: int, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    import cv2
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from backend.accounts.models import User
    from backend.masklets.models import Masklet
    from backend.projects.models import Project
    from backend.videos.enums import VideoStatus
    from backend.videos.models import Video

    user = User.objects.create(username=f"bench{time.monotonic_ns()}")
    project = Project.objects.create(name="bench")
    video = Video.objects.create(
        project=project,
        name="clip",
        file="v.mp4",
        frames_prefix=f"frames/{time.time_ns()}",
        checksum="0" * 64,
        size_bytes=1,
        width=size[0],
        height=size[1],
        fps=24.0,
        frame_count=frames,
        status=VideoStatus.READY,
        progress=1.0,
    )
    capture = cv2.VideoCapture(str(CLIP))
    last = None
    for index in range(frames):
        ok, image = capture.read()
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if ok else last
        last = image
        ok, jpeg = cv2.imencode(".jpg", image)
        default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
    return video, user, Masklet


def _click(masklet, user, frame: int, points) -> dict:  # type: ignore[no-untyped-def]
    """A click as the web process handles one, answered inline by this process's worker code."""
    from django.db import transaction

    from backend.masklets import services

    with transaction.atomic():
        prompt = services.prompt_add(
            masklet=masklet,
            author=user,
            frame_index=frame,
            points=points,
            box=None,
            clear_old=False,
        )
    return services.prompt_predict(prompt=prompt)


def _propagate(video, masklets, start: int) -> None:  # type: ignore[no-untyped-def]
    from worker import propagation

    run = propagation.Run(
        video_id=video.pk,
        job_id=None,
        masklet_ids=[m.pk for m in masklets],
        start_frame=start,
        direction="forward",
        frame_start=0,
        frame_end=video.frame_count,
    )
    propagation.propagate(run, lambda masks, done: True)


def _folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def scenario_arguments(description: str, config: str = "micro") -> argparse.ArgumentParser:
    """The options the loop benchmarks share (the annotation script's size, model, CPU)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--objects", type=int, default=3)
    parser.add_argument("--corrections", type=int, default=10)
    parser.add_argument("--config", default=config, help="micro, or a shipped preset (tiny)")
    parser.add_argument("--size", default="320x180", help="video width x height")
    parser.add_argument("--threads", type=int, default=2)
    return parser


def setup(args: argparse.Namespace, prefix: str) -> Path:
    """Torch threads, a throw-away folder, the model's checkpoint and Django on SQLite."""
    import torch

    torch.set_num_threads(args.threads)
    var = Path(tempfile.mkdtemp(prefix=prefix))
    if args.config == "micro":
        config, checkpoint = str(MICRO / "config.json"), str(MICRO / "checkpoint.pt")
    else:
        config, checkpoint = args.config, _random_checkpoint(var, args.config)
    _setup_django(var, config, checkpoint)
    return var


def main() -> int:
    args = scenario_arguments(__doc__.splitlines()[0]).parse_args()
    setup(args, "bench-loop-")
    from django.core.files.storage import default_storage

    from backend.masklets.models import SessionAction
    from worker import engine, states

    width, height = (int(v) for v in args.size.split("x"))
    video, user, Masklet = _video(args.frames, (width, height))
    masklets = [Masklet.objects.create(video=video, created_by=user) for _ in range(args.objects)]
    started = time.perf_counter()
    for i, masklet in enumerate(masklets):
        _click(masklet, user, 0, [[(i + 1) / (args.objects + 1), 0.5, 1]])
    _propagate(video, masklets, 0)
    step = max(1, args.frames // (args.corrections + 1))
    for c in range(args.corrections):
        frame = min(args.frames - 1, (c + 1) * step)
        masklet = masklets[c % len(masklets)]
        _click(masklet, user, frame, [[0.3 + 0.04 * c, 0.4, 0]])
        _propagate(video, [masklet], frame)
    annotate_s = time.perf_counter() - started

    def takeover(*, replay: bool) -> dict:
        states.drop_all()
        if replay:
            default_storage.delete(f"sam2state/{video.pk}/head.json")
        t0 = time.perf_counter()
        answer = _click(masklets[0], user, args.frames // 2, [[0.6, 0.6, 1]])
        return {
            "s": round(time.perf_counter() - t0, 3),
            "loaded": answer["loaded"],
            "engine_ms": answer["engine_ms"],
        }

    with engine.in_use:
        states.save_if_dirty(states.get(video.pk))
    by_snapshot = takeover(replay=False)
    # a click on the now resident state, then one on it evicted (another video took the
    # RAM); each on a frame not clicked before (the image encoder runs in both)
    resident = _click(masklets[1], user, args.frames // 3, [[0.5, 0.3, 1]])
    other, _u, _m = _video(8, (width, height))
    other_masklet = Masklet.objects.create(video=other, created_by=user)
    _click(other_masklet, user, 0, [[0.5, 0.5, 1]])  # evicts the first video (capacity 1)
    evicted = _click(masklets[1], user, args.frames // 3 + 1, [[0.4, 0.4, 1]])
    by_replay = takeover(replay=True)
    entries = SessionAction.objects.filter(video=video).count()
    state_bytes = _folder_bytes(Path(default_storage.path(f"sam2state/{video.pk}")))
    print(
        json.dumps(
            {
                "config": args.config,
                "frames": args.frames,
                "objects": args.objects,
                "corrections": args.corrections,
                "size": args.size,
                "threads": args.threads,
                "log_entries": entries,
                "annotation_s": round(annotate_s, 1),
                "takeover_snapshot": by_snapshot,
                "takeover_replay": by_replay,
                "click_resident": {
                    key: resident[key] for key in ("engine_ms", "task_ms", "loaded")
                },
                "click_evicted": {key: evicted[key] for key in ("engine_ms", "task_ms", "loaded")},
                "evicted_task_vs_resident_engine": round(
                    evicted["task_ms"] / resident["engine_ms"], 2
                ),
                "state_disk_mb": round(state_bytes / 2**20, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
