"""What one request costs the web: CPU milliseconds per request of each endpoint of the load
benchmark, one user at a time, against the same production form as tests/load/run.py.

    .venv/bin/python -m tests.load.cost [--repeat 100]

The load benchmark's latencies under load follow from these costs (two web processes share
two cores with SAM 2 and PostgreSQL); this isolates them. The web processes' CPU is read
from /proc before and after each endpoint's requests (tests/load/cpu.py), so it counts
everything the server does for a request (uvicorn, Django, the database driver), not the
load generator. Figures vary with the machine: compare runs made one after the other.
"""

import argparse
import asyncio
import statistics
import sys
import time

import httpx

from tests.load import cpu
from tests.load.people import Session, Stats, _mask_rle
from tests.load.run import _wait_ready, drop_database, seed, start_platform


def _requests(seeded: dict) -> list[tuple[str, str, str, str, object]]:
    """(who, name, method, path, body or a function of the last answer for it) per endpoint."""
    project = seeded["project"]
    me = seeded["users"]["annotator"][0]
    video, masklet = me["video"], me["masklets"][0]
    submitted = me["submitted"][0]
    return [
        ("annotator", "GET health", "GET", "/api/v1/health/", None),
        ("annotator", "GET video", "GET", f"/api/v1/videos/{video}/", None),
        ("annotator", "GET workspace", "GET", f"/api/v1/videos/{video}/workspace/", None),
        ("annotator", "GET propagation list", "GET", f"/api/v1/videos/{video}/propagations/", None),
        ("annotator", "GET sam2 status", "GET", "/api/v1/sam2/status/", None),
        (
            "annotator",
            "GET events",
            "GET",
            f"/api/v1/projects/{project}/events/?after=0&video={video}",
            None,
        ),
        ("annotator", "PUT masklet frames", "PUT", f"/api/v1/masklets/{masklet}/frames/", "frames"),
        (
            "annotator",
            "POST prompt add",
            "POST",
            f"/api/v1/masklets/{masklet}/prompts/add/",
            {"frame_index": 2, "points": [[0.4, 0.45, 1]]},
        ),
        ("reviewer", "GET review queue", "GET", f"/api/v1/projects/{project}/review-queue/", None),
        ("reviewer", "GET masklet frames", "GET", f"/api/v1/masklets/{submitted}/frames/", None),
        ("manager", "GET dashboard", "GET", f"/api/v1/projects/{project}/dashboard/", None),
        ("manager", "GET export list", "GET", f"/api/v1/projects/{project}/exports/", None),
    ]


async def measure(base: str, web_pid: int, seeded: dict, repeat: int, only: str | None) -> None:
    stats = Stats()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        sessions = {}
        for role in ("annotator", "reviewer", "manager"):
            sessions[role] = Session(client, stats)
            await sessions[role].login(seeded["users"][role][0]["username"])
        version = 1
        print(f"\n{'endpoint':24} {'CPU ms':>8} {'p50 ms':>8}  (web, per request, {repeat} each)")
        costs = []
        for who, name, method, path, body in _requests(seeded):
            if only and name != only:
                continue
            session = sessions[who]
            before = 0.0
            # A few untimed requests first: each web process imports lazily on its first ones.
            for n in range(-4, repeat):
                if n == 0:
                    stats.latencies[name].clear()
                    before = cpu.snapshot({"web": web_pid})["web"]
                payload = body if isinstance(body, dict) else None
                if body == "frames":
                    payload = {
                        "version": version,
                        "frames": [{"frame_index": 1, "rle": _mask_rle(3)}],
                    }
                response = await session.call(name, method, path, json=payload)
                if response is None or response.status_code >= 400:
                    raise RuntimeError(f"{name}: {response and response.status_code}")
                if body == "frames":
                    version = response.json()["version"]
            spent = cpu.snapshot({"web": web_pid})["web"] - before
            costs.append(1000 * spent / repeat)
            print(
                f"{name:24} {costs[-1]:8.1f} {statistics.median(stats.latencies[name]):8.1f}",
                flush=True,
            )
        print(f"{'mean':24} {statistics.mean(costs):8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--only", help="measure this endpoint alone (e.g. to profile it)")
    parser.add_argument("--database-server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sam2-threads", type=int, default=1, help="as in tests.load.run")
    parser.add_argument("--worker-nice", type=int, default=10, help="as in tests.load.run")
    args = parser.parse_args()
    args.annotators = args.reviewers = args.managers = 1
    platform = start_platform(args)
    try:
        seeded = seed(platform, args)
        _wait_ready(platform)
        time.sleep(5)  # the workers' start-up work is over
        web = next(process.pid for name, process in platform.processes if name == "web")
        asyncio.run(measure(platform.base, web, seeded, args.repeat, args.only))
    finally:
        platform.stop()
        drop_database(platform, args.database_server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
