from django.db import migrations


def export_jobs_to_jobs(apps, schema_editor):
    """Every export job becomes a job of kind export (a new id). A queued one is picked up by
    the recovery loop; a running one's heartbeat is stale (its worker stopped for this
    deployment) and it is requeued."""
    Old = apps.get_model("exports", "ExportJob")
    Job = apps.get_model("jobs", "Job")
    for old in Old.objects.order_by("id").iterator():
        job = Job.objects.create(
            kind="export",
            project_id=old.project_id,
            status=old.status,
            params={
                "format": old.format,
                "include_unaccepted": old.include_unaccepted,
                "label_ids": old.label_ids,
                "video_ids": old.video_ids,
                "frame_step": old.frame_step,
            },
            result={**old.result, "file": old.file, "size_bytes": old.size_bytes}
            if old.file
            else dict(old.result),
            progress_done=round(old.progress * 10_000),
            progress_total=10_000,
            error=old.error,
            attempts=1 if old.started_at else 0,
            heartbeat_at=old.updated_at if old.status == "running" else None,
            started_at=old.started_at,
            finished_at=old.finished_at,
            created_by_id=old.created_by_id,
        )
        Job.objects.filter(pk=job.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0002_davis_ytvos_formats_result"),
        ("jobs", "0001_initial"),
        ("masklets", "0005_propagation_jobs_to_jobs"),
    ]

    operations = [
        migrations.RunPython(export_jobs_to_jobs, migrations.RunPython.noop),
        migrations.DeleteModel(name="ExportJob"),
        migrations.CreateModel(
            name="ExportJob",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("jobs.job",),
        ),
    ]
