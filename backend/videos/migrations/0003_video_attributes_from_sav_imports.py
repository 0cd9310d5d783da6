"""Videos that masklets were imported onto from SA-V files get those files' environment and
split, which exports read from the video since 0002 (before, from the imported masklets)."""

from django.db import migrations

ENVIRONMENTS = ("Indoor", "Outdoor")
SPLITS = ("train", "val", "test")


def backfill(apps, schema_editor):
    imported = apps.get_model("exports", "ImportedMasklet")
    video_model = apps.get_model("videos", "Video")
    done: set[int] = set()
    rows = imported.objects.filter(format="sav").order_by("id")
    for video_id, attributes in rows.values_list("masklet__video_id", "attributes").iterator():
        if video_id in done or not isinstance(attributes, dict):
            continue
        done.add(video_id)
        environment = attributes.get("video_environment")
        if isinstance(environment, list) and len(environment) == 1:
            environment = environment[0]
        changes = {}
        if environment in ENVIRONMENTS:
            changes["environment"] = environment
        if attributes.get("video_split") in SPLITS:
            changes["split"] = attributes["video_split"]
        if changes:
            video_model.objects.filter(pk=video_id).update(**changes)


class Migration(migrations.Migration):
    dependencies = [
        ("videos", "0002_video_environment_split"),
        ("exports", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
