"""Export benchmark: `python -m backend.exports.bench [--frames 1000] [--masklets 20]`.

Builds a throw-away database and media folder in a temporary directory (never the
project's), with two ready videos of SA-V's size (480 x 848) and `--masklets` accepted
masklets on every frame, one of `--frames` frames and one of a quarter of that, then runs
the real export service (database reads, zip to a temporary file, save to storage) for each
format. It prints wall seconds (an untraced run) and the peak of Python-tracked memory
(tracemalloc, numpy buffers included; zlib's and Pillow's C buffers are not) for both
sizes: memory must stay flat while frames quadruple.
"""

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

WIDTH, HEIGHT = 480, 848


def _setup(root: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{root / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(root / "media")
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.config.django.local"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    # No broker runs here: live-event wake-ups stay in this process.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _make_video(project, *, frames: int, masklets: int):  # type: ignore[no-untyped-def]
    import cv2
    import numpy as np
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from backend.common import rle as rle_codec
    from backend.masklets.enums import FrameOrigin, MaskletStatus
    from backend.masklets.models import Masklet, MaskletFrame
    from backend.videos.enums import VideoStatus
    from backend.videos.models import Video

    video = Video.objects.create(
        project=project,
        name=f"bench_{frames}.mp4",
        file="videos/bench.mp4",
        frames_prefix=f"frames/bench_{frames}",
        checksum="0" * 64,
        size_bytes=1,
        width=WIDTH,
        height=HEIGHT,
        fps=24.0,
        frame_count=frames,
        status=VideoStatus.READY,
        progress=1.0,
    )
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (HEIGHT, WIDTH, 3), np.uint8)
    ok, jpeg = cv2.imencode(".jpg", cv2.GaussianBlur(image, (0, 0), 3))
    assert ok
    for index in range(frames):
        default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
    for m in range(masklets):
        masklet = Masklet.objects.create(video=video, status=MaskletStatus.ACCEPTED)
        rows = []
        for index in range(frames):
            # An ellipse per object drifting across the frame: realistic RLE lengths.
            mask = np.zeros((HEIGHT, WIDTH), np.uint8)
            center = ((37 * m + 3 * index) % WIDTH, (53 * m + 2 * index) % HEIGHT)
            cv2.ellipse(mask, center, (20 + 3 * m, 30 + 2 * m), index % 180, 0, 360, 1, -1)
            rle = rle_codec.encode(mask)
            rows.append(
                MaskletFrame(
                    masklet=masklet,
                    frame_index=index,
                    rle=rle,
                    area=rle_codec.area(rle),
                    bbox=rle_codec.bbox(rle),
                    origin=FrameOrigin.PROPAGATED,
                    score=0.9,
                )
            )
        MaskletFrame.objects.bulk_create(rows, batch_size=1000)
    return video


def _export(project, user, video, format: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from backend.exports.models import EXPORT_PROGRESS_TOTAL, ExportJob
    from backend.exports.services import export_job_run

    job = ExportJob.objects.create(
        project=project,
        params={"format": format, "video_ids": [video.pk]},
        progress_total=EXPORT_PROGRESS_TOTAL,
        created_by=user,
    )
    started = time.perf_counter()
    job = export_job_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    if job.status != "done":
        raise SystemExit(f"export {format} failed: {job.error}")
    return elapsed, job.size_bytes


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--masklets", type=int, default=20)
    parser.add_argument("--formats", nargs="+", default=None, help="default: every format")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        _setup(Path(tmp))
        from backend.accounts.models import User
        from backend.exports.enums import ExportFormat
        from backend.projects.models import Project

        unknown = set(args.formats or []) - set(ExportFormat.values)
        if unknown:
            parser.error(f"unknown formats: {', '.join(sorted(unknown))}")

        user = User.objects.create(username="bench")
        project = Project.objects.create(name="bench")
        small_frames = max(args.frames // 4, 1)
        started = time.perf_counter()
        small = _make_video(project, frames=small_frames, masklets=args.masklets)
        large = _make_video(project, frames=args.frames, masklets=args.masklets)
        _say(
            f"data: {args.masklets} masklets x ({small_frames} + {args.frames}) frames of "
            f"{WIDTH}x{HEIGHT}, built in {time.perf_counter() - started:.1f} s"
        )
        _say(f"{'format':<8} {'frames':>6} {'seconds':>8} {'zip MiB':>8} {'peak MiB':>9}")
        for format in args.formats or ExportFormat.values:
            for video in (small, large):
                seconds, size = _export(project, user, video, format)
                tracemalloc.start()
                _export(project, user, video, format)
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                _say(
                    f"{format:<8} {video.frame_count:>6} {seconds:>8.2f} "
                    f"{size / 2**20:>8.1f} {peak / 2**20:>9.1f}"
                )


if __name__ == "__main__":
    sys.exit(main())
