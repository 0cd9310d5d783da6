"""Load benchmark of the production form on this machine (loopback only).

    .venv/bin/python -m tests.load.run [--seconds 60] [--annotators 50] [--reviewers 5]
                                       [--managers 2] [--keep]

Starts everything itself: a PostgreSQL database it creates (on DATABASE_SERVER, default the
local server, user postgres) and drops afterwards, a redis-server on a free port, uvicorn
with 2 worker processes on the production settings as docker/entrypoints/web.sh runs it, a
default-queue worker and a SAM 2 worker with the micro model of the fixtures (both at
the deployed CPU priority, WORKER_NICE 10). Then
annotators (workspace loads, clicks, mask edits, propagations, a websocket each), reviewers
(queue, verdicts, releases) and managers (dashboards, exports) act for the given time, with
think times of 0.5-1.5 s, and it prints per-endpoint p50/p95, error counts (409s apart) and
whether every live client got every event of its video exactly once, in order.
"""

import argparse
import asyncio
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.load import cpu
from tests.load.people import (
    FRAMES,
    HEIGHT,
    PASSWORD,
    WIDTH,
    LiveClient,
    Session,
    Stats,
    annotator,
    follow_events,
    manager,
    reviewer,
)

REPO = Path(__file__).resolve().parents[2]
MICRO = REPO / "tests" / "fixtures" / "sam2ref" / "micro"
# Endpoints whose time is SAM 2's (the target of 150 ms p95 is for the others).
SAM2_ENDPOINTS = {"POST prompt add", "POST propagation create"}
# Logging in, before the timed window (a password check costs ~0.4 s of CPU by design):
# listed, but not part of the non-SAM 2 figures.
LOGIN_ENDPOINTS = {"GET auth csrf", "POST auth login"}
NOT_IN_FIGURES = SAM2_ENDPOINTS | LOGIN_ENDPOINTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- the platform ---------------------------------------------------------------------------


@dataclass
class Platform:
    db: str
    port: int
    env: dict[str, str]
    workdir: Path
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, name: str, args: list[str], **extra: str) -> None:
        log = (self.workdir / f"{name}.log").open("w")
        process = subprocess.Popen(
            args, cwd=REPO, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((name, process))

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for _name, process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def start_platform(args: argparse.Namespace) -> Platform:
    workdir = Path(tempfile.mkdtemp(prefix="sam2-load-"))
    db = f"loadtest_{os.getpid()}"
    server = args.database_server
    subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {db}"], check=True)
    redis_port = _free_port()
    broker = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "backend.config.django.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{server.rsplit('/', 1)[0]}/{db}",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "MEDIA_ROOT": str(workdir / "media"),
        "SAM2_CONFIG": str(MICRO / "config.json"),
        "SAM2_CHECKPOINT": str(MICRO / "checkpoint.pt"),
        "SAM2_DEVICE": "cpu",
        "LOG_LEVEL": "WARNING",
    }
    platform = Platform(db=db, port=_free_port(), env=env, workdir=workdir)
    platform.spawn(
        "redis",
        [shutil.which("redis-server") or "redis-server", "--port", str(redis_port)]
        + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    )
    manage = [sys.executable, str(REPO / "backend" / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    # docker/entrypoints/web.sh, on loopback
    platform.spawn(
        "web",
        [sys.executable, "-m", "uvicorn", "backend.config.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(platform.port), "--workers", "2"]
        + ["--lifespan", "off", "--no-access-log", "--no-server-header"],
    )
    celery = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO"]
    platform.spawn(
        "worker-default",
        [*celery, "-Q", "default", "--concurrency", "2", "--hostname", "cpu@%h"],
        DB_POOL_MAX_SIZE="4",
        WORKER_NICE=str(args.worker_nice),
    )
    platform.spawn(
        "worker-sam2",
        [*celery, "-Q", "gpu", "--pool", "solo", "--hostname", "sam2@%h"],
        DB_POOL_MAX_SIZE="4",
        SAM2_CPU_THREADS=str(args.sam2_threads),
        WORKER_NICE=str(args.worker_nice),
    )
    return platform


def drop_database(platform: Platform, server: str) -> None:
    subprocess.run(["psql", server, "-qc", f"DROP DATABASE IF EXISTS {platform.db} WITH (FORCE)"])


# ---- the team and its data -------------------------------------------------------------------


def seed(platform: Platform, args: argparse.Namespace) -> dict:
    """Users, one project, a video per annotator (small real JPEG frames) with a task, two
    draft masklets and two submitted ones. Returns ids for the simulated users."""
    os.environ.update(platform.env)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    import numpy as np

    from backend.accounts.models import User
    from backend.common import rle
    from backend.masklets.models import Masklet
    from backend.masklets.services import masklet_frames_write
    from backend.projects.enums import Role
    from backend.projects.models import Membership, Project, Task
    from backend.reviews.services import masklet_submit
    from tests.backend.factories import make_ready_video

    project = Project.objects.create(name="load", verifications_required=1)
    users: dict[str, list[dict]] = {"annotator": [], "reviewer": [], "manager": []}
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[10:30, 12:40] = 1
    counts = {"annotator": args.annotators, "reviewer": args.reviewers, "manager": args.managers}
    for role, count in counts.items():
        for n in range(count):
            user = User.objects.create_user(f"{role}{n}", password=PASSWORD)
            Membership.objects.create(project=project, user=user, role=getattr(Role, role.upper()))
            entry: dict = {"username": user.username}
            if role == "annotator":
                video = make_ready_video(project, frames=FRAMES, width=WIDTH, height=HEIGHT)
                task = Task.objects.create(project=project, video=video, assignee=user)
                masklets = [
                    Masklet.objects.create(video=video, task=task, created_by=user, name=f"m{i}")
                    for i in range(4)
                ]
                for masklet in masklets[2:]:
                    masklet_frames_write(
                        masklet=masklet,
                        actor=user,
                        version=masklet.version,
                        frames=[{"frame_index": 0, "rle": rle.encode(mask)}],
                    )
                    masklet.refresh_from_db()
                    masklet_submit(masklet=masklet, actor=user, version=masklet.version)
                entry.update(
                    video=video.pk,
                    masklets=[m.pk for m in masklets[:2]],
                    submitted=[m.pk for m in masklets[2:]],
                )
            users[role].append(entry)
    from django.db import connections

    connections.close_all()
    return {"project": project.pk, "users": users}


async def run_load(platform: Platform, seeded: dict, args: argparse.Namespace) -> tuple:
    from asgiref.sync import sync_to_async

    from backend.events.models import Event

    stats = Stats()
    project = seeded["project"]
    # Idle connections are dropped well before uvicorn closes them (5 s): reusing one that the
    # server is closing at that instant fails the request (ReadError) on the client's side.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=platform.base, timeout=120, limits=limits) as client:
        people = [
            (role, me, Session(client, stats))
            for role in ("annotator", "reviewer", "manager")
            for me in seeded["users"][role]
        ]
        # People arrive over a while, not all in the same second (a login hashes a password).
        arrivals = asyncio.Semaphore(4)

        async def arrive(session: Session, username: str) -> None:
            async with arrivals:
                await session.login(username)

        await asyncio.gather(*(arrive(session, me["username"]) for _, me, session in people))
        start = await sync_to_async(_last_seq)(Event)
        stop_events = asyncio.Event()
        live_clients = []
        followers = []
        for role, me, session in people:
            if role == "annotator":
                live = LiveClient(video=me["video"], start=start)
                live_clients.append(live)
                followers.append(
                    asyncio.create_task(
                        follow_events(platform.base, session, project, live, stop_events)
                    )
                )
        await asyncio.sleep(2)  # websockets connected
        deadline = time.monotonic() + args.seconds
        stats.started = deadline - args.seconds
        groups = {name: process.pid for name, process in platform.processes}
        cpu_before = cpu.snapshot(groups, by_name=("postgres",))
        stolen_before = cpu.stolen()
        windows = asyncio.create_task(_cpu_windows(groups, stats))
        tasks = []
        for role, me, session in people:
            if role == "annotator":
                live = next(c for c in live_clients if c.video == me["video"])
                work = annotator(session, me, project, deadline, platform.base, live)
            elif role == "reviewer":
                work = reviewer(session, project, deadline)
            else:
                work = manager(session, project, deadline)
            tasks.append(_after(random.uniform(0, args.arrival_s), work))
        await asyncio.gather(*tasks)
        cpu_used = cpu.spent(cpu_before, cpu.snapshot(groups, by_name=("postgres",)))
        windows.cancel()
        cpu_used["wall"] = time.monotonic() - deadline + args.seconds
        cpu_used["stolen"] = cpu.stolen() - stolen_before
        # Work still running (propagations, exports) writes events after the deadline; give
        # the live clients until the log is quiet and they caught up.
        end = await _await_quiet_log(Event, live_clients, project)
        stop_events.set()
        results = await asyncio.gather(*followers, return_exceptions=True)
        broken = [r for r in results if isinstance(r, BaseException)]
    expected = await sync_to_async(_expected_events)(Event, project, live_clients, end)
    return stats, live_clients, expected, broken, cpu_used


async def _cpu_windows(groups: dict[str, int], stats: Stats) -> None:
    """The web's and the whole machine's CPU use in each 10 s of the run (stats.cpu_windows:
    percent of all cores)."""
    cores = os.cpu_count() or 1
    before, stolen_before = cpu.snapshot(groups, by_name=("postgres",)), cpu.stolen()
    while True:
        await asyncio.sleep(10)
        now, stolen_now = cpu.snapshot(groups, by_name=("postgres",)), cpu.stolen()
        spent = cpu.spent(before, now)
        stats.cpu_windows.append(
            (
                10 * spent["web"] / cores,
                10 * sum(spent.values()) / cores,
                10 * (stolen_now - stolen_before) / cores,
            )
        )
        before, stolen_before = now, stolen_now


async def _after(delay_s: float, work: Coroutine) -> None:
    """A person starts working ``delay_s`` into the run (people do not all open the app in
    the same second)."""
    await asyncio.sleep(delay_s)
    await work


def _last_seq(Event) -> int:  # type: ignore[no-untyped-def]  # noqa: N803 -- a model class
    from django.db.models import Max

    return Event.objects.aggregate(last=Max("seq"))["last"] or 0


async def _await_quiet_log(Event, live_clients: list[LiveClient], project: int) -> int:  # type: ignore[no-untyped-def]  # noqa: N803
    from asgiref.sync import sync_to_async

    last, quiet_since = -1, time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now_last = await sync_to_async(_last_seq)(Event)
        if now_last != last:
            last, quiet_since = now_last, time.monotonic()
        elif time.monotonic() - quiet_since > 5:
            break
        await asyncio.sleep(1)
    expected = await sync_to_async(_expected_events)(Event, project, live_clients, last)
    caught_up = time.monotonic() + 30
    while time.monotonic() < caught_up and any(
        set(expected[c.video]) - set(c.seqs) for c in live_clients
    ):
        await asyncio.sleep(0.5)
    return last


def _expected_events(Event, project: int, live_clients: list[LiveClient], end: int) -> dict:  # type: ignore[no-untyped-def]  # noqa: N803
    from django.db import close_old_connections

    try:
        return {
            c.video: list(
                Event.objects.filter(
                    project_id=project, video_id=c.video, seq__gt=c.start, seq__lte=end
                )
                .order_by("seq")
                .values_list("seq", flat=True)
            )
            for c in live_clients
        }
    finally:
        close_old_connections()


def report(
    stats: Stats, live_clients: list[LiveClient], expected: dict, broken: list, cpu_used: dict
) -> bool:
    """Prints the figures; True when nothing failed (no error, no event lost, no socket)."""

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    print(f"\n{'endpoint':28} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'409s':>5}")
    other: list[float] = []
    for name in sorted(stats.latencies):
        values = stats.latencies[name]
        if name not in NOT_IN_FIGURES:
            other.extend(values)
        marker = " (SAM 2)" if name in SAM2_ENDPOINTS else " (login)" * (name in LOGIN_ENDPOINTS)
        print(
            f"{name + marker:28} {len(values):6} {statistics.median(values):8.1f} "
            f"{pct(values, 0.95):8.1f} {stats.errors[name]:7} {stats.conflicts[name]:5}"
        )
    total = sum(len(v) for v in stats.latencies.values())
    print(
        f"\nrequests: {total}; errors: {sum(stats.errors.values())} (409s apart: "
        f"{sum(stats.conflicts.values())}); non-SAM 2 requests p50 {pct(other, 0.5):.1f} ms, "
        f"p95 {pct(other, 0.95):.1f} ms"
    )
    print("non-SAM 2 requests over time (s from the start):", end="")
    windows: dict[int, list[float]] = {}
    for when, name, ms in stats.timeline:
        if name not in NOT_IN_FIGURES and when >= stats.started:
            windows.setdefault(int((when - stats.started) // 10), []).append(ms)
    for window, values in sorted(windows.items()):
        busy = ""
        if window < len(stats.cpu_windows):
            busy = " CPU web {:.0f}% all {:.0f}% stolen {:.0f}%".format(*stats.cpu_windows[window])
        print(
            f"  {10 * window}-{10 * window + 10}: {len(values)} p50 {pct(values, 0.5):.0f} "
            f"p95 {pct(values, 0.95):.0f}{busy}",
            end=";" if window != max(windows) else "\n",
        )
    for sample in stats.samples[:10]:
        print(f"  error: {sample}")
    missing = duplicated = disordered = delivered = wanted = 0
    for client in live_clients:
        want = expected[client.video]
        wanted += len(want)
        delivered += len(client.seqs)
        missing += len(set(want) - set(client.seqs))
        duplicated += len(client.seqs) - len(set(client.seqs))
        disordered += sum(1 for a, b in zip(client.seqs, client.seqs[1:], strict=False) if b <= a)
    print(
        f"events: {len(live_clients)} live clients, {wanted} events expected, {delivered} "
        f"delivered; missing {missing}, duplicated {duplicated}, out of order {disordered}; "
        f"websockets that failed: {len(broken)}"
    )
    wall, stolen = cpu_used.pop("wall"), cpu_used.pop("stolen")
    cores = os.cpu_count() or 1
    print(f"CPU during the {wall:.0f} s of load ({cores} cores, {wall * cores:.0f} core-seconds):")
    for group, seconds in sorted(cpu_used.items(), key=lambda item: -item[1]):
        print(f"  {group:16} {seconds:7.1f} s  {100 * seconds / (wall * cores):5.1f} %")
    print(f"  {'all':16} {sum(cpu_used.values()):7.1f} s")
    # A virtual machine's hypervisor may run other machines on its cores meanwhile: not a
    # quiet machine, whatever this one's own processes do.
    print(
        f"  {'stolen':16} {stolen:7.1f} s  {100 * stolen / (wall * cores):5.1f} %"
        "  (taken by the hypervisor for other machines)"
    )
    return not (sum(stats.errors.values()) or missing or duplicated or disordered or broken)


def _wait_ready(platform: Platform) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for name, process in platform.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited; see {platform.workdir}/{name}.log")
        try:
            health = httpx.get(f"{platform.base}/api/v1/health/", timeout=2)
            if health.status_code == 200 and _sam2_announced(platform):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"the platform did not start; logs in {platform.workdir}")


def _sam2_announced(platform: Platform) -> bool:
    import redis

    client = redis.Redis.from_url(platform.env["REDIS_URL"])
    return any(client.scan_iter(match="sam2:worker:*"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--managers", type=int, default=2)
    parser.add_argument(
        "--arrival-s",
        type=float,
        default=10,
        help="people start working at random times within the run's first seconds",
    )
    parser.add_argument(
        "--sam2-threads",
        type=int,
        default=1,
        help="SAM2_CPU_THREADS of the SAM 2 worker (0: one per core). The micro model gains "
        "a sixth of its speed from a second thread at twice the CPU, which the web on the "
        "same cores lacks (README: Load test)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="WORKER_NICE of both workers (10, the default, as deployed; 0: the web's priority)",
    )
    parser.add_argument(
        "--database-server",
        default=os.environ.get("DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL whose server gets the throwaway database",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database and logs (logs are kept anyway when anything failed)",
    )
    args = parser.parse_args()
    platform = start_platform(args)
    clean = False
    try:
        seeded = seed(platform, args)
        _wait_ready(platform)
        print(
            f"{args.annotators} annotators, {args.reviewers} reviewers, {args.managers} managers "
            f"for {args.seconds} s against {platform.base} (logs: {platform.workdir})",
            flush=True,
        )
        clean = report(*asyncio.run(run_load(platform, seeded, args)))
    finally:
        platform.stop()
        if not args.keep:
            drop_database(platform, args.database_server)
        if args.keep or not clean:
            print(f"logs kept in {platform.workdir}")
        else:
            shutil.rmtree(platform.workdir, ignore_errors=True)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
