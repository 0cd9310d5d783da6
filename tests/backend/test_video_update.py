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
