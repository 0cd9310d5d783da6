"""Staff manage user accounts in the app: list, create (with a password or for an invite),
change, deactivate, set a password; project managers look users up by name."""

import pytest
from rest_framework.test import APIClient

from backend.accounts.models import User
from tests.backend.conftest import Team, client_for
from tests.backend.factories import UserFactory

PASSWORD = "a-long-enough-pass-42"


@pytest.fixture
def staff(db) -> User:
    return UserFactory(username="boss", is_staff=True)


def test_staff_creates_a_user_with_a_password_who_can_then_log_in(staff):
    # when
    response = client_for(staff).post(
        "/api/v1/users/create/",
        {"username": "ann", "email": "ann@example.org", "password": PASSWORD},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "ann"
    assert body["has_password"] is True
    assert body["is_active"] is True
    assert body["is_staff"] is False
    assert body["invite_expires_at"] is None
    login = APIClient().post(
        "/api/v1/auth/login/", {"username": "ann", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200


def test_a_user_created_without_a_password_cannot_log_in(staff):
    response = client_for(staff).post("/api/v1/users/create/", {"username": "bob"}, format="json")
    assert response.status_code == 201
    assert response.json()["has_password"] is False
    assert not User.objects.get(username="bob").has_usable_password()


def test_create_refuses_a_weak_password_in_words(staff):
    response = client_for(staff).post(
        "/api/v1/users/create/", {"username": "ann", "password": "12345678"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("password: ")
    assert "too common" in response.json()["message"]
    assert not User.objects.filter(username="ann").exists()


@pytest.mark.parametrize("name", ["boss", "BOSS"])
def test_create_refuses_a_taken_username(staff, name):
    response = client_for(staff).post("/api/v1/users/create/", {"username": name}, format="json")
    assert response.status_code == 409
    assert "already a user named" in response.json()["message"]


def test_create_refuses_a_bad_username(staff):
    response = client_for(staff).post(
        "/api/v1/users/create/", {"username": "ann smith"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "username: Use letters, digits and @ . + - _ only."


def test_list_searches_and_filters(staff):
    UserFactory(username="ann", email="a@x.org")
    UserFactory(username="anna", is_active=False)
    UserFactory(username="carl")
    client = client_for(staff)
    names = lambda q: [u["username"] for u in client.get(f"/api/v1/users/{q}").json()["results"]]  # noqa: E731
    assert names("") == ["ann", "anna", "boss", "carl"]
    assert names("?search=ann") == ["ann", "anna"]
    assert names("?search=ann&is_active=true") == ["ann"]
    assert names("?is_active=false") == ["anna"]


def test_deactivated_user_is_logged_out_and_cannot_log_in(staff):
    # given: ann is logged in
    ann = UserFactory(username="ann", password=PASSWORD)
    browser = APIClient()
    browser.post("/api/v1/auth/login/", {"username": "ann", "password": PASSWORD}, format="json")
    assert browser.get("/api/v1/auth/me/").status_code == 200
    # when
    response = client_for(staff).patch(
        f"/api/v1/users/{ann.pk}/", {"is_active": False}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert browser.get("/api/v1/auth/me/").status_code == 403
    again = APIClient().post(
        "/api/v1/auth/login/", {"username": "ann", "password": PASSWORD}, format="json"
    )
    assert again.status_code == 400


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": False}])
def test_staff_cannot_lock_themselves_out(staff, change):
    response = client_for(staff).patch(f"/api/v1/users/{staff.pk}/", change, format="json")
    assert response.status_code == 400
    assert "your own account" in response.json()["message"]
    staff.refresh_from_db()
    assert staff.is_active
    assert staff.is_staff


def test_staff_grants_staff_and_changes_email(staff):
    ann = UserFactory(username="ann")
    response = client_for(staff).patch(
        f"/api/v1/users/{ann.pk}/", {"is_staff": True, "email": "ann@example.org"}, format="json"
    )
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.is_staff
    assert ann.email == "ann@example.org"


def test_staff_sets_a_password(staff):
    ann = UserFactory(username="ann")
    response = client_for(staff).post(
        f"/api/v1/users/{ann.pk}/password/", {"password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.check_password(PASSWORD)


def test_unknown_user_is_404(staff):
    assert client_for(staff).patch("/api/v1/users/999999/", {}, format="json").status_code == 404


def test_me_says_whether_the_user_is_staff(staff, team: Team):
    assert client_for(staff).get("/api/v1/auth/me/").json()["is_staff"] is True
    assert client_for(team.manager).get("/api/v1/auth/me/").json()["is_staff"] is False


def test_lookup_finds_active_users_by_part_of_their_name(team: Team):
    UserFactory(username="annie", is_active=False)
    response = client_for(team.manager).get("/api/v1/users/lookup/?q=annot")
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["annotator", "other_annotator"]
    assert set(response.json()[0]) == {"id", "username"}


def test_lookup_needs_a_query(team: Team):
    response = client_for(team.manager).get("/api/v1/users/lookup/")
    assert response.status_code == 400
    assert response.json()["message"].startswith("q:")
