from celery import shared_task

from backend.jobs.runner import job_execute, worker_identity
from backend.videos.ingest import INGEST_TASK, ingest_run


@shared_task(name=INGEST_TASK, bind=True, acks_late=True)
def video_ingest_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    job_execute(job_id=job_id, worker=worker_identity(self.request), run=ingest_run)
