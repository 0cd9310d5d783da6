from celery import shared_task

from backend.exports.services import EXPORT_TASK, export_build
from backend.jobs.runner import job_execute, worker_identity


@shared_task(name=EXPORT_TASK, bind=True, queue="default", acks_late=True)
def export_job_run_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    job_execute(job_id=job_id, worker=worker_identity(self.request), run=export_build)
