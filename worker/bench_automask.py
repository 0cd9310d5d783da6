"""Auto-annotation: the generator's time per key frame, and a whole job's time.

    .venv/bin/python -m worker.bench_automask [--frames 200] [--masklets 10] [--config tiny]
                                              [--size 480x270] [--threads 2]

In one throw-away process (SQLite and media in a temporary folder; no web server, no
broker): a video made of the first frames of a real clip. First SAM 2's automatic mask
generator runs on frame 0 with the official defaults (32 x 32 points, predicted IoU 0.8,
stability 0.95): ``generate_s``. Then an auto-annotation job runs on that video (key frame
0, at most ``--masklets`` auto masklets, propagated in batches of ``--batch`` objects
through every frame), with thresholds that let random weights' masks through (random
weights give few masks above the official ones; the generator's time barely depends on
them), box NMS off and duplicates only above IoU 0.9: ``job_s``, split into its
generation and the rest (propagation, storage, queue). Prints one JSON line. The tiny
config uses random weights (speed does not depend on their values). On a GPU machine,
``--device cuda`` gives the GPU figures.
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from worker.bench_loop import _random_checkpoint, _setup_django, _video

REPO = Path(__file__).resolve().parent.parent
MICRO = REPO / "tests" / "fixtures" / "sam2ref" / "micro"
# Thresholds under which random weights give enough distinct masks to fill the cap.
PERMISSIVE = {
    "points_per_side": 32,
    "pred_iou_thresh": 0.0,
    "stability_score_thresh": 0.0,
    "box_nms_thresh": 1.0,
}
# Random weights' masks overlap a lot: only near-copies count as duplicates here.
DEDUP_IOU = 0.9


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--masklets", type=int, default=10)
    parser.add_argument("--batch", type=int, default=8, help="objects propagated together")
    parser.add_argument("--config", choices=["micro", "tiny"], default="tiny")
    parser.add_argument("--size", default="480x270", help="video width x height")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    import torch

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-automask-") as tmp:
        var = Path(tmp)
        if args.config == "micro":
            config, checkpoint = str(MICRO / "config.json"), str(MICRO / "checkpoint.pt")
        else:
            config, checkpoint = "tiny", _random_checkpoint(var, "tiny")
        _setup_django(var, config, checkpoint)
        from django.conf import settings

        settings.SAM2_DEVICE = args.device
        result = _bench(args, width, height)
    result.update(
        config=args.config,
        device=args.device,
        threads=args.threads,
        size=[width, height],
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    sys.stdout.write(json.dumps(result) + "\n")


def _bench(args: argparse.Namespace, width: int, height: int) -> dict:
    import worker.tasks  # noqa: F401 -- runs the job inline (eager)
    from backend.automask.models import AutoKeyFrame, AutoProposal
    from backend.automask.services import automask_job_create
    from backend.jobs.models import Job
    from backend.masklets.models import MaskletFrame
    from backend.projects.enums import Role
    from backend.projects.models import Membership
    from sam2engine import AutomaticMaskGenerator, AutomaticMaskSettings
    from worker import engine
    from worker.adapters import StorageFrames

    video, user, _masklet = _video(args.frames, (width, height))
    Membership.objects.create(project=video.project, user=user, role=Role.MANAGER)
    predictor = engine.get_predictor()
    image = StorageFrames(video)[0]
    official = AutomaticMaskGenerator(
        predictor.model, AutomaticMaskSettings(), precision=predictor.precision
    )
    started = time.perf_counter()
    official_masks = official.generate(image)
    generate_s = time.perf_counter() - started

    started = time.perf_counter()
    job = automask_job_create(
        video=video,
        author=user,
        key_frame_mode="first",
        settings=PERMISSIVE,
        max_masklets=args.masklets,
        dedup_iou=DEDUP_IOU,
        objects_per_batch=args.batch,
    )
    job_s = time.perf_counter() - started  # the run happened inline when the job committed
    job = Job.objects.get(pk=job.pk)
    key_frame = AutoKeyFrame.objects.get(job=job)
    proposed = AutoProposal.objects.filter(job=job).count()
    return {
        "frames": args.frames,
        "masklets_asked": args.masklets,
        "objects_per_batch": args.batch,
        "generate_s": round(generate_s, 2),
        "generate_masks_official_defaults": len(official_masks),
        "job_status": job.status,
        "job_error": job.error,
        "job_s": round(job_s, 1),
        "job_generate_s": round(key_frame.generate_s, 2),
        "job_masks_generated": key_frame.generated,
        "auto_masklets": proposed,
        "propagate_store_s": round(job_s - key_frame.generate_s, 1),
        "masks_stored": MaskletFrame.objects.filter(masklet__auto_proposal__job=job).count(),
        "object_frames_per_s": round(
            proposed * (args.frames + 1) / max(job_s - key_frame.generate_s, 1e-9), 3
        ),
        "generator_settings": PERMISSIVE,
        "dedup_iou": DEDUP_IOU,
    }


if __name__ == "__main__":
    main()
