"""One-time invite links: staff make one, the invitee (not logged in) chooses a password with
it and is logged in; a link works once, expires, and a newer one or a set password ends it."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import Invite, User
from tests.backend.conftest import client_for
from tests.backend.factories import UserFactory

PASSWORD = "a-long-enough-pass-42"


@pytest.fixture
def staff(db) -> User:
    return UserFactory(username="boss", is_staff=True)


@pytest.fixture
def invited(staff) -> tuple[User, str]:
    user = client_for(staff).post("/api/v1/users/create/", {"username": "ann"}, format="json")
    user_id = user.json()["id"]
    response = client_for(staff).post(f"/api/v1/users/{user_id}/invite/")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["path"] == f"/invite#{body['token']}"
    return User.objects.get(pk=user_id), body["token"]


def test_invite_is_stored_only_as_a_hash(invited):
    user, token = invited
    (invite,) = Invite.objects.filter(user=user)
    assert token not in invite.token_hash
    assert len(invite.token_hash) == 64


def test_user_list_shows_the_open_invite(staff, invited):
    user, _token = invited
    (row,) = [
        u for u in client_for(staff).get("/api/v1/users/").json()["results"] if u["id"] == user.pk
    ]
    assert row["invite_expires_at"] is not None
    assert row["has_password"] is False


def test_invitee_checks_the_link_then_chooses_a_password_and_is_logged_in(invited):
    user, token = invited
    browser = APIClient()
    # when
    check = browser.post("/api/v1/auth/invites/check/", {"token": token}, format="json")
    accept = browser.post(
        "/api/v1/auth/invites/accept/", {"token": token, "password": PASSWORD}, format="json"
    )
    # then
    assert check.status_code == 200
    assert check.json()["username"] == "ann"
    assert accept.status_code == 200, accept.json()
    assert accept.json()["username"] == "ann"
    assert browser.get("/api/v1/auth/me/").json()["username"] == "ann"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_link_works_once(invited):
    _user, token = invited
    body = {"token": token, "password": PASSWORD}
    assert APIClient().post("/api/v1/auth/invites/accept/", body, format="json").status_code == 200
    again = APIClient().post("/api/v1/auth/invites/accept/", body, format="json")
    assert again.status_code == 410
    assert "already used" in again.json()["message"]


def test_an_expired_link_is_refused_in_words(invited):
    _user, token = invited
    Invite.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = APIClient().post("/api/v1/auth/invites/check/", {"token": token}, format="json")
    assert response.status_code == 410
    assert response.json()["message"] == "This invite link has expired. Ask for a new one."


def test_a_new_link_or_a_set_password_ends_the_old_link(staff, invited):
    user, token = invited
    client_for(staff).post(f"/api/v1/users/{user.pk}/invite/")
    replaced = APIClient().post("/api/v1/auth/invites/check/", {"token": token}, format="json")
    assert replaced.status_code == 410
    newest = client_for(staff).post(f"/api/v1/users/{user.pk}/invite/").json()["token"]
    client_for(staff).post(
        f"/api/v1/users/{user.pk}/password/", {"password": PASSWORD}, format="json"
    )
    ended = APIClient().post("/api/v1/auth/invites/check/", {"token": newest}, format="json")
    assert ended.status_code == 410


def test_an_unknown_token_is_404(db):
    response = APIClient().post("/api/v1/auth/invites/check/", {"token": "nope"}, format="json")
    assert response.status_code == 404
    assert "not valid" in response.json()["message"]


def test_a_weak_password_is_refused_and_the_link_still_works(invited):
    user, token = invited
    weak = APIClient().post(
        "/api/v1/auth/invites/accept/", {"token": token, "password": "ann"}, format="json"
    )
    assert weak.status_code == 400
    assert weak.json()["message"].startswith("password: ")
    check = APIClient().post("/api/v1/auth/invites/check/", {"token": token}, format="json")
    assert check.status_code == 200


def test_deactivated_user_cannot_be_invited_and_their_link_ends(staff, invited):
    user, token = invited
    client_for(staff).patch(f"/api/v1/users/{user.pk}/", {"is_active": False}, format="json")
    assert (
        APIClient().post("/api/v1/auth/invites/check/", {"token": token}, format="json").status_code
        == 410
    )
    response = client_for(staff).post(f"/api/v1/users/{user.pk}/invite/")
    assert response.status_code == 400
    assert "deactivated" in response.json()["message"]
