"""The simulated team of the load benchmark (tests/load/run.py): browsers with a session
each, annotators, reviewers and managers acting until a deadline, and the live clients that
record every event they get."""

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx
import websockets

PASSWORD = "load-test-password-1"  # noqa: S105 -- throwaway users of a throwaway database
FRAMES, WIDTH, HEIGHT = 8, 64, 48


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # (when it was answered, endpoint, ms) of every answered request, for the report over time
    timeline: list[tuple[float, str, float]] = field(default_factory=list)
    started: float = 0.0  # when the timed window began (time.monotonic())
    # (web, all, stolen by the hypervisor) CPU percent of the machine's cores in each 10 s
    cpu_windows: list[tuple[float, float, float]] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)


class Session:
    """One browser: a session cookie, the CSRF token, timed requests."""

    def __init__(self, client: httpx.AsyncClient, stats: Stats) -> None:
        self.client, self.stats = client, stats
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def login(self, username: str) -> None:
        await self.call("GET auth csrf", "GET", "/api/v1/auth/csrf/")
        response = await self.call(
            "POST auth login",
            "POST",
            "/api/v1/auth/login/",
            json={"username": username, "password": PASSWORD},
        )
        if response is None or response.status_code != 200:
            status = "no answer" if response is None else response.status_code
            raise RuntimeError(f"login of {username} failed: {status}")

    async def call(
        self, name: str, method: str, path: str, json: dict | None = None
    ) -> httpx.Response | None:
        headers = {"Cookie": self.cookie_header}
        if method != "GET" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            self.stats.errors[name] += 1
            self.stats.samples.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.stats.latencies[name].append(elapsed_ms)
        self.stats.timeline.append((time.monotonic(), name, elapsed_ms))
        # Production cookies are Secure; this client sends them over loopback HTTP itself.
        for raw in response.headers.get_list("set-cookie"):
            key, _, value = raw.split(";", 1)[0].partition("=")
            self.cookies[key] = value
        if response.status_code == 409:
            self.stats.conflicts[name] += 1
        elif response.status_code >= 400:
            self.stats.errors[name] += 1
            if len(self.stats.samples) < 30:
                self.stats.samples.append(f"{name}: {response.status_code} {response.text[:200]}")
        return response


async def _think() -> None:
    await asyncio.sleep(random.uniform(0.5, 1.5))


def _mask_rle(x0: int) -> dict:
    import numpy as np

    from backend.common import rle

    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[8:28, x0 : x0 + 20] = 1
    return dict(rle.encode(mask))


@dataclass
class LiveClient:
    """An annotator's websocket: every event it got, in order."""

    video: int
    start: int = 0
    seqs: list[int] = field(default_factory=list)


async def follow_events(
    base: str, session: Session, project: int, live: LiveClient, stop: asyncio.Event
) -> None:
    url = f"{base.replace('http', 'ws')}/ws/projects/{project}/events/"
    url += f"?after={live.start}&video={live.video}"
    async with websockets.connect(
        url, additional_headers={"Cookie": session.cookie_header, "Origin": base}
    ) as socket_:
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(socket_.recv(), timeout=1)
            except TimeoutError:
                continue
            live.seqs.extend(e["seq"] for e in json.loads(message).get("events", []))


async def workspace_load(session: Session, video: int) -> dict[int, int]:
    """What the workspace asks for when it opens (the same few requests whatever the number of
    masklets: the bundle holds their masks and prompts); returns the masklets' versions."""
    await session.call("GET video", "GET", f"/api/v1/videos/{video}/")
    bundle = await session.call("GET workspace", "GET", f"/api/v1/videos/{video}/workspace/")
    await session.call("GET propagation list", "GET", f"/api/v1/videos/{video}/propagations/")
    await session.call("GET sam2 status", "GET", "/api/v1/sam2/status/")
    if bundle is None or bundle.status_code != 200:
        return {}
    return {m["id"]: m["version"] for m in bundle.json()["masklets"]}


async def annotator(
    session: Session, me: dict, project: int, deadline: float, base: str, live: LiveClient
) -> None:
    versions = await workspace_load(session, me["video"])
    prompted: set[int] = set()
    while time.monotonic() < deadline:
        masklet = random.choice(me["masklets"])
        roll = random.random()
        if roll < 0.35:
            response = await session.call(
                "POST prompt add",
                "POST",
                f"/api/v1/masklets/{masklet}/prompts/add/",
                json={"frame_index": random.randrange(FRAMES), "points": [[0.4, 0.45, 1]]},
            )
            if response is not None and response.status_code == 201:
                prompted.add(masklet)
                versions[masklet] = response.json()["mask"]["version"]
        elif roll < 0.7:
            response = await session.call(
                "PUT masklet frames",
                "PUT",
                f"/api/v1/masklets/{masklet}/frames/",
                json={
                    "version": versions.get(masklet, 1),
                    "frames": [
                        {
                            "frame_index": random.randrange(FRAMES),
                            "rle": _mask_rle(random.randrange(30)),
                        }
                    ],
                },
            )
            if response is not None and response.status_code == 200:
                versions[masklet] = response.json()["version"]
            elif response is not None and response.status_code == 409:
                versions.update(await workspace_load(session, me["video"]))
        elif roll < 0.8 and prompted:
            await session.call(
                "POST propagation create",
                "POST",
                f"/api/v1/videos/{me['video']}/propagations/create/",
                json={"masklet_ids": sorted(prompted), "start_frame": 0},
            )
        elif roll < 0.9:
            versions = await workspace_load(session, me["video"])
        else:
            await session.call(
                "GET events",
                "GET",
                f"/api/v1/projects/{project}/events/?after={live.start}&video={me['video']}",
            )
        await _think()


async def reviewer(session: Session, project: int, deadline: float) -> None:
    verdicts = ("satisfactory", "unsatisfactory")
    while time.monotonic() < deadline:
        await session.call("GET review queue", "GET", f"/api/v1/projects/{project}/review-queue/")
        claimed = await session.call(
            "POST review next", "POST", f"/api/v1/projects/{project}/review-queue/next/"
        )
        if claimed is None or claimed.status_code != 200:
            await _think()
            continue
        assignment = claimed.json()
        await session.call(
            "GET masklet frames", "GET", f"/api/v1/masklets/{assignment['masklet']['id']}/frames/"
        )
        await _think()
        await session.call(
            "POST review renew", "POST", f"/api/v1/review-assignments/{assignment['id']}/renew/"
        )
        if random.random() < 0.2:
            await session.call(
                "POST review release",
                "POST",
                f"/api/v1/review-assignments/{assignment['id']}/release/",
            )
        else:
            verdict = random.choice(verdicts)
            await session.call(
                "POST review verdict",
                "POST",
                f"/api/v1/review-assignments/{assignment['id']}/verdict/",
                json={"verdict": verdict, "comment": "looks wrong" if verdict[0] == "u" else ""},
            )
        await _think()


async def manager(session: Session, project: int, deadline: float) -> None:
    exports: list[int] = []
    while time.monotonic() < deadline:
        await session.call("GET dashboard", "GET", f"/api/v1/projects/{project}/dashboard/")
        await session.call("GET export list", "GET", f"/api/v1/projects/{project}/exports/")
        if not exports or random.random() < 0.1:
            created = await session.call(
                "POST export create",
                "POST",
                f"/api/v1/projects/{project}/exports/create/",
                json={"format": random.choice(["ytvis", "sav"]), "include_unaccepted": True},
            )
            if created is not None and created.status_code == 201:
                exports.append(created.json()["id"])
        for job in exports[-2:]:
            await session.call("GET export detail", "GET", f"/api/v1/exports/{job}/")
        await _think()
