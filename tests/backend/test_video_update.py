"""A video's dataset attributes: its SA-V environment and its split, set by managers."""

from backend.events.models import Event
from tests.backend.conftest import client_for


def _patch(client, team, body):
    return client.patch(f"/api/v1/videos/{team.video.pk}/update/", body, format="json")


def test_manager_sets_environment_and_split(team):
    response = _patch(client_for(team.manager), team, {"environment": "Indoor", "split": "test"})

    assert response.status_code == 200
    assert (response.json()["environment"], response.json()["split"]) == ("Indoor", "test")
    team.video.refresh_from_db()
    assert (team.video.environment, team.video.split) == ("Indoor", "test")
    event = Event.objects.filter(kind="video.updated").get()
    assert event.payload == {"environment": "Indoor", "split": "test"}

    # blank is "unknown" again; an unchanged value records nothing
    response = _patch(client_for(team.manager), team, {"environment": "", "split": "test"})
    assert response.json()["environment"] == ""
    assert Event.objects.filter(kind="video.updated").count() == 2
    assert Event.objects.filter(kind="video.updated").last().payload == {"environment": ""}


def test_values_outside_sa_vs_are_refused_in_the_error_shape(team):
    response = _patch(client_for(team.manager), team, {"environment": "Underwater"})

    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    team.video.refresh_from_db()
    assert team.video.environment == ""


def test_the_detail_shows_the_attributes(team):
    response = client_for(team.annotator).get(f"/api/v1/videos/{team.video.pk}/")

    assert (response.json()["environment"], response.json()["split"]) == ("", "")


def test_migration_gives_videos_the_environment_of_their_sav_imports(team):
    import importlib

    from django.apps import apps

    from backend.exports.models import ImportedMasklet

    migration = importlib.import_module(
        "backend.videos.migrations.0003_video_attributes_from_sav_imports"
    )
    ImportedMasklet.objects.create(
        masklet=team.masklet,
        format="sav",
        source_object_id="0",
        attributes={"video_environment": "Outdoor", "video_split": "nonsense"},
    )

    migration.backfill(apps, None)

    team.video.refresh_from_db()
    assert (team.video.environment, team.video.split) == ("Outdoor", "")
