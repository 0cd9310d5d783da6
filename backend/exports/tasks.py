from celery import shared_task

from backend.exports.services import export_job_run


@shared_task(name="exports.run", queue="default", acks_late=True)
def export_job_run_task(job_id: int) -> None:
    export_job_run(job_id=job_id)
