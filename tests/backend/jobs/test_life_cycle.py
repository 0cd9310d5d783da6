"""The job life cycle every kind shares: claim, progress, retry, recovery, wake-ups."""

from datetime import timedelta

import numpy as np
import pytest
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from backend.common import rle
from backend.events.models import Event
from backend.exports.models import EXPORT_PROGRESS_TOTAL, ExportJob
from backend.jobs import dispatch, recovery
from backend.jobs.enums import JobKind, JobStatus
from backend.jobs.models import Job
from backend.jobs.recovery import jobs_recover
from backend.jobs.runner import job_execute
from backend.jobs.services import WorkerIdentity, job_claim, job_create, job_progress
from backend.masklets.models import Masklet, MaskletFrame, PropagationMasklet
from backend.masklets.propagation import PropagatedMask, propagation_frames_store
from tests.backend.conftest import Team, client_for
from tests.backend.factories import MaskletFactory

WORKER = WorkerIdentity(name="cpu@box", host="box", pid=77, queue="default")


def _queued_export(team: Team) -> Job:
    return job_create(
        kind=JobKind.EXPORT,
        project=team.project,
        created_by=team.manager,
        params={"format": "ytvis"},
        progress_total=EXPORT_PROGRESS_TOTAL,
    )


def _age(job: Job, seconds: int) -> None:
    """Makes the job look as if its last change (and wake-up) was this long ago."""
    past = timezone.now() - timedelta(seconds=seconds)
    Job.objects.filter(pk=job.pk).update(updated_at=past, enqueued_at=None)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, int, str]]:
    """Wake-ups the broker took, instead of running them inline."""
    taken: list[tuple[str, int, str]] = []
    monkeypatch.setattr(
        dispatch, "_send", lambda task, *, job_id, queue: taken.append((task, job_id, queue))
    )
    return taken


def test_a_duplicate_wakeup_does_not_run_a_job_twice(team: Team):
    job = _queued_export(team)
    assert job_claim(job_id=job.pk, worker=WORKER) is not None
    assert job_claim(job_id=job.pk, worker=WORKER) is None
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_transient_error_requeues_then_fails_after_the_bounded_attempts(team: Team, sent):
    # given: a run that always loses its database
    job = _queued_export(team)

    def flaky(job: Job) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    # when: it is claimed and run three times (the kind's attempts)
    for attempt in (1, 2, 3):
        Job.objects.filter(pk=job.pk).update(not_before=None)
        job_execute(job_id=job.pk, worker=WORKER, run=flaky)
        job.refresh_from_db()
        if attempt < 3:
            # then: back in the queue, waiting out a back-off, nothing lost
            assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
            assert job.not_before > timezone.now()
    # then: failed, saying why
    assert job.status == JobStatus.FAILED
    assert "Gave up after 3 attempts" in job.error
    assert "server closed the connection" in job.error
    kinds = list(Event.objects.filter(kind__startswith="export.").values_list("kind", flat=True))
    assert kinds.count("export.requeued") == 2
    assert kinds[-1] == "export.failed"


def test_a_retry_is_woken_by_the_recovery_loop_once_its_backoff_passed(team: Team, sent):
    job = _queued_export(team)
    job_execute(job_id=job.pk, worker=WORKER, run=lambda job: (_ for _ in ()).throw(BrokerError()))
    assert jobs_recover().woken == []  # the back-off has not passed
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    _age(job, 60)
    assert jobs_recover().woken == [job.pk]
    assert sent == [("exports.run", job.pk, "default")]


def test_an_export_requested_while_the_broker_is_down_is_queued_and_sent_later(
    team: Team, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the broker refuses every message
    def refuse(task, *, job_id, queue):  # type: ignore[no-untyped-def]
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(dispatch, "_send", refuse)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(team.manager).post(
            f"/api/v1/projects/{team.project.pk}/exports/create/",
            {"format": "ytvis"},
            format="json",
        )
    # then: the request succeeded; the job waits for the broker
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.status, job.enqueued_at) == (JobStatus.QUEUED, None)
    # when: the broker is back, a recovery round sends its wake-up
    taken: list[int] = []
    monkeypatch.setattr(dispatch, "_send", lambda task, *, job_id, queue: taken.append(job_id))
    _age(job, 60)
    jobs_recover()
    assert taken == [job.pk]
    assert Job.objects.get(pk=job.pk).enqueued_at is not None


def test_after_the_broker_lost_its_memory_every_queued_job_is_sent_again(
    team: Team, sent, monkeypatch
):
    jobs = [_queued_export(team) for _ in range(2)]
    Job.objects.update(enqueued_at=timezone.now())  # wake-ups sent, then lost with the broker
    assert jobs_recover().woken == []
    monkeypatch.setattr(recovery, "broker_lost_memory", lambda: True)
    assert jobs_recover().woken == [job.pk for job in jobs]


def test_a_job_nobody_takes_fails_naming_its_queue(team: Team, sent, settings):
    settings.JOB_QUEUED_TIMEOUT_S = 3600
    job = _queued_export(team)
    Job.objects.filter(pk=job.pk).update(
        queue="default", enqueued_at=timezone.now(), updated_at=timezone.now() - timedelta(hours=2)
    )
    assert jobs_recover().unclaimed == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "queue default" in job.error


def test_progress_never_goes_back(team: Team):
    job = job_claim(job_id=_queued_export(team).pk, worker=WORKER)
    assert job_progress(job=job, done=600, announce=False)
    assert job_progress(job=job, done=100, announce=False)  # a retried run starts over
    assert Job.objects.get(pk=job.pk).progress_done == 600


def test_a_get_of_a_lost_job_writes_nothing(team: Team):
    job = _queued_export(team)
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago)
    before = Job.objects.get(pk=job.pk).updated_at
    client = client_for(team.annotator)
    assert client.get(f"/api/v1/exports/{job.pk}/").json()["status"] == "running"
    assert client.get(f"/api/v1/jobs/{job.pk}/").json()["status"] == "running"
    assert Job.objects.get(pk=job.pk).updated_at == before


@pytest.mark.parametrize(("who", "status"), [("reviewer", 200), ("outsider", 404)])
def test_job_status_is_for_members(team: Team, who: str, status: int):
    job = _queued_export(team)
    response = client_for(getattr(team, who)).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["kind"], body["status"], body["project"]) == (
            "export",
            "queued",
            team.project.pk,
        )


def test_the_export_proxy_reads_the_jobs_params_and_result(team: Team):
    job = ExportJob.objects.create(
        project=team.project,
        params={"format": "davis", "frame_step": 4, "video_ids": [team.video.pk]},
        result={"file": "exports/x.zip", "size_bytes": 12},
        status=JobStatus.DONE,
        progress_total=EXPORT_PROGRESS_TOTAL,
        progress_done=EXPORT_PROGRESS_TOTAL,
    )
    assert job.kind == JobKind.EXPORT
    assert (job.format, job.frame_step, job.video_ids, job.label_ids) == (
        "davis",
        4,
        [team.video.pk],
        [],
    )
    assert (job.file, job.size_bytes, job.progress, job.is_downloadable) == (
        "exports/x.zip",
        12,
        1.0,
        True,
    )


# ---- propagation specifics -------------------------------------------------------------------


def _mask(team: Team, masklet: Masklet, frame: int) -> PropagatedMask:
    mask = np.zeros((team.video.height, team.video.width), np.uint8)
    mask[2:6, 3:9] = 1
    return PropagatedMask(
        masklet_id=masklet.pk,
        frame_index=frame,
        rle=dict(rle.encode(mask)),
        area=24,
        bbox=[3, 2, 6, 4],
        score=0.9,
    )


@pytest.fixture
def running_propagation(team: Team):  # type: ignore[no-untyped-def]
    other = MaskletFactory(video=team.video, task=team.task, created_by=team.annotator)
    from backend.masklets.propagation import propagation_job_create
    from backend.masklets.services import prompt_add

    for masklet in (team.masklet, other):
        prompt_add(
            masklet=masklet, author=team.annotator, frame_index=0, points=[[0.5, 0.5, 1]], box=None
        )

    job = propagation_job_create(
        video=team.video,
        author=team.annotator,
        masklets=[team.masklet, other],
        start_frame=0,
        direction="forward",
    )
    return job_claim(job_id=job.pk, worker=WORKER), other


def test_a_masklet_deleted_mid_propagation_is_dropped_and_the_job_goes_on(
    team: Team, running_propagation
):
    job, other = running_propagation
    other_id = other.pk
    other.delete()  # its link to the job goes with it
    # when: a batch still holds masks of the deleted masklet
    go_on = propagation_frames_store(
        job=job, masks=[_mask(team, team.masklet, 1), _mask(team, other, 1)], frames_done=1
    )
    # then: the live masklet's frame is written, nothing fails
    assert go_on
    assert MaskletFrame.objects.filter(masklet=team.masklet, frame_index=1).exists()
    assert not MaskletFrame.objects.filter(masklet_id=other_id).exists()
    assert list(
        PropagationMasklet.objects.filter(job_id=job.pk).values_list("masklet_id", flat=True)
    ) == [team.masklet.pk]


def test_a_propagation_whose_masklets_were_all_deleted_ends_with_a_plain_reason(
    team: Team, running_propagation
):
    from backend.jobs.services import job_finish

    job, other = running_propagation
    Masklet.objects.filter(pk__in=[team.masklet.pk, other.pk]).delete()
    assert not propagation_frames_store(
        job=job, masks=[_mask(team, team.masklet, 1)], frames_done=1
    )
    job_finish(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.error == "Every masklet of this propagation was deleted."
