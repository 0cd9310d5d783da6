"""Login throttling (per account, per address, shared by every web process) and CSRF on the
session login."""

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import LoginFailureCounter
from tests.backend.factories import UserFactory

PASSWORD = "pw-12345678"


@pytest.fixture
def ann(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="ann")


def _login(username: str, password: str, *, address: str = "10.0.0.1", path: str = "login"):  # type: ignore[no-untyped-def]
    return APIClient().post(
        f"/api/v1/auth/{path}/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_the_retry_time(ann, settings):
    # given: 5 failures allowed per account
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_LOCKOUT_S = 300
    # when: 30 wrong passwords, then the right one
    answers = [_login("ann", f"wrong-{i}").status_code for i in range(30)]
    right = _login("ann", PASSWORD)
    # then: the first 5 are plain refusals, the rest and the right password get 429
    assert answers[:5] == [400] * 5
    assert set(answers[5:]) == {429}
    assert right.status_code == 429
    body = right.json()
    assert body["message"] == "Too many failed logins for this account; try again in 5 minutes."
    assert body["extra"]["scope"] == "account"
    assert 290 <= body["extra"]["retry_after_s"] <= 300
    assert right["Retry-After"] == str(body["extra"]["retry_after_s"])


def test_the_lockout_ends_after_its_time(ann, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    for _ in range(2):
        _login("ann", "wrong")
    assert _login("ann", PASSWORD).status_code == 429
    # when: the lockout time has passed
    LoginFailureCounter.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    # then
    assert _login("ann", PASSWORD).status_code == 200


def test_a_successful_login_clears_the_accounts_count(ann, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    for _ in range(2):
        assert _login("ann", "wrong").status_code == 400
    assert _login("ann", PASSWORD).status_code == 200
    for _ in range(2):
        assert _login("ann", "wrong").status_code == 400
    assert _login("ann", PASSWORD).status_code == 200


def test_failures_from_one_address_lock_that_address_for_every_account(ann, settings):
    # given: one address guessing passwords of many accounts
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    UserFactory(username="bob")
    for i in range(4):
        assert _login(f"someone{i}", "wrong", address="10.9.9.9").status_code == 400
    # when / then: that address is locked out, for a valid account too
    locked = _login("bob", PASSWORD, address="10.9.9.9")
    assert locked.status_code == 429
    assert locked.json()["extra"]["scope"] == "address"
    assert locked.json()["message"].startswith("Too many failed logins for your address")
    # and another address is not
    assert _login("bob", PASSWORD, address="10.1.1.1").status_code == 200


def test_token_endpoint_and_admin_login_share_the_lockout(ann, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    ann.is_staff = ann.is_superuser = True
    ann.save()
    for _ in range(2):
        assert _login("ann", "wrong", path="token").status_code == 400
    assert _login("ann", "wrong").status_code == 400
    # the token endpoint is locked too
    assert _login("ann", PASSWORD, path="token").status_code == 429
    # and the admin's login form does not let the right password in either
    admin = Client()
    admin.post("/admin/login/", {"username": "ann", "password": PASSWORD, "next": "/admin/"})
    assert "_auth_user_id" not in admin.session


def test_username_case_does_not_escape_the_account_count(ann, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    _login("ann", "wrong")
    _login("ANN", "wrong")
    assert _login("ann", PASSWORD).status_code == 429


@pytest.mark.slow
def test_lockout_holds_across_web_processes(web_server, settings):
    # given: a second web process (uvicorn) on the same database
    UserFactory(username="ann")
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    server = web_server(LOGIN_MAX_FAILURES_PER_ACCOUNT="5")
    # when: the failures happen there (tokens: no CSRF token needed)
    for _ in range(5):
        request = urllib.request.Request(
            server.url + "/api/v1/auth/token/",
            data=json.dumps({"username": "ann", "password": "wrong"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        assert refused.value.code == 400
    # then: this process refuses the right password
    assert _login("ann", PASSWORD, address="127.0.0.1").status_code == 429


def test_session_login_needs_the_csrf_token(ann):
    # given: a browser that has the CSRF cookie
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/api/v1/auth/csrf/")
    token = browser.cookies["csrftoken"].value
    credentials = {"username": "ann", "password": PASSWORD}
    # when: a login without the token (as a form on another site would send it)
    forged = browser.post("/api/v1/auth/login/", credentials, format="json")
    # then: refused in the error shape, and nobody is logged in
    assert forged.status_code == 403
    assert forged.json()["message"].startswith("CSRF Failed")
    assert browser.get("/api/v1/auth/me/").status_code == 403
    # and with the token it works
    good = browser.post("/api/v1/auth/login/", credentials, format="json", HTTP_X_CSRFTOKEN=token)
    assert good.status_code == 200


def test_token_login_for_scripts_needs_no_csrf_token(ann):
    script = APIClient(enforce_csrf_checks=True)
    response = script.post(
        "/api/v1/auth/token/", {"username": "ann", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


def test_me_accepts_an_account_without_email(ann):
    client = APIClient()
    client.force_authenticate(ann)
    assert client.get("/api/v1/auth/me/").json()["email"] == ""
