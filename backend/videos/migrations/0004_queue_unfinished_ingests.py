from django.db import migrations


def queue_unfinished_ingests(apps, schema_editor):
    """Videos whose frame extraction never finished get an ingest job; the recovery loop
    sends its wake-up."""
    Video = apps.get_model("videos", "Video")
    Job = apps.get_model("jobs", "Job")
    for video in Video.objects.filter(status__in=("uploaded", "processing")).order_by("id"):
        Job.objects.create(
            kind="ingest",
            project_id=video.project_id,
            video_id=video.pk,
            created_by_id=video.created_by_id,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("videos", "0003_video_attributes_from_sav_imports"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(queue_unfinished_ingests, migrations.RunPython.noop)]
