"""Labels: order, hotkeys (1-9, unique per project), reorder."""

import pytest

from backend.projects.models import Label
from tests.backend.conftest import Team, client_for
from tests.backend.factories import LabelFactory, ProjectFactory


def _create(team: Team, **body):
    return client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/labels/create/", body, format="json"
    )


def test_label_create_answers_the_fields_the_workspace_reads(team: Team):
    response = _create(team, name="car", color="#ff0000", hotkey=2)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "color", "order", "hotkey"}
    assert body["hotkey"] == 2
    # after the team's "person" label (order 0)
    assert body["order"] == team.label.order + 1


def test_label_create_refuses_a_hotkey_another_label_has(team: Team):
    # given
    team.label.hotkey = 3
    team.label.save()
    # when
    response = _create(team, name="car", hotkey=3)
    # then
    assert response.status_code == 409
    assert "Hotkey 3" in response.json()["message"]
    assert "person" in response.json()["message"]
    assert not Label.objects.filter(name="car").exists()


@pytest.mark.parametrize("hotkey", [0, 10, -1, "x"])
def test_label_create_refuses_a_hotkey_outside_1_to_9(team: Team, hotkey):
    response = _create(team, name="car", hotkey=hotkey)
    assert response.status_code == 400
    assert response.json()["message"].startswith("hotkey:")


def test_same_hotkey_in_two_projects_is_fine(team: Team):
    LabelFactory(project=ProjectFactory(), name="car", hotkey=1)
    assert _create(team, name="car", hotkey=1).status_code == 201


def test_label_update_moves_a_hotkey_once_the_other_label_lets_go(team: Team):
    # given
    car = LabelFactory(project=team.project, name="car", hotkey=1)
    client = client_for(team.manager)
    # when: taken
    taken = client.patch(f"/api/v1/labels/{team.label.pk}/", {"hotkey": 1}, format="json")
    client.patch(f"/api/v1/labels/{car.pk}/", {"hotkey": None}, format="json")
    moved = client.patch(f"/api/v1/labels/{team.label.pk}/", {"hotkey": 1}, format="json")
    # then
    assert taken.status_code == 409
    assert moved.status_code == 200
    assert moved.json()["hotkey"] == 1
    car.refresh_from_db()
    assert car.hotkey is None


def test_label_update_keeps_its_own_hotkey_when_renamed(team: Team):
    team.label.hotkey = 4
    team.label.save()
    response = client_for(team.manager).patch(
        f"/api/v1/labels/{team.label.pk}/", {"name": "human"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() | {"id": 0} == {
        "id": 0,
        "name": "human",
        "color": team.label.color,
        "order": team.label.order,
        "hotkey": 4,
    }


def test_label_update_refuses_another_labels_name(team: Team):
    car = LabelFactory(project=team.project, name="car")
    response = client_for(team.manager).patch(
        f"/api/v1/labels/{car.pk}/", {"name": "person"}, format="json"
    )
    assert response.status_code == 409


def test_label_reorder_sets_the_list_order(team: Team):
    # given
    car = LabelFactory(project=team.project, name="car", order=1)
    tree = LabelFactory(project=team.project, name="tree", order=2)
    order = [tree.pk, team.label.pk, car.pk]
    # when
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/labels/reorder/", {"label_ids": order}, format="json"
    )
    listed = client_for(team.annotator).get(f"/api/v1/projects/{team.project.pk}/labels/")
    # then
    assert response.status_code == 200
    assert [label["id"] for label in response.json()] == order
    assert [label["id"] for label in listed.json()["results"]] == order
    assert [label["order"] for label in listed.json()["results"]] == [0, 1, 2]


@pytest.mark.parametrize("ids", ["missing", "duplicate", "foreign"])
def test_label_reorder_needs_each_label_once(team: Team, ids):
    car = LabelFactory(project=team.project, name="car")
    other = LabelFactory(project=ProjectFactory(), name="x")
    label_ids = {
        "missing": [car.pk],
        "duplicate": [car.pk, car.pk, team.label.pk],
        "foreign": [car.pk, team.label.pk, other.pk],
    }[ids]
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/labels/reorder/",
        {"label_ids": label_ids},
        format="json",
    )
    assert response.status_code == 400
    assert "exactly once" in response.json()["message"]
    assert Label.objects.get(pk=car.pk).order == car.order
