"""Settings, schema, auth, the served page and the sample project."""

import os
import secrets
import subprocess
import sys

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.config import env
from backend.projects.models import Project
from backend.videos.models import Video
from tests.backend.factories import UserFactory


def test_ci_runs_against_postgresql(db):
    """.ci/run points DATABASE_URL at PostgreSQL; this proves the suite really used it."""
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the suite may run on the embedded SQLite")
    assert connection.vendor == "postgresql"


def test_production_settings_pass_check_deploy_without_warnings():
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.django.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PYTHONPATH": str(env.REPO_DIR),
    }
    result = subprocess.run(
        [
            sys.executable,
            str(env.BACKEND_DIR / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.django.production",
        "SECRET_KEY": "",
        "PYTHONPATH": str(env.REPO_DIR),
    }
    result = subprocess.run(
        [sys.executable, str(env.BACKEND_DIR / "manage.py"), "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_openapi_schema_and_docs_are_served(db):
    client = APIClient()
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text
    assert "/api/v1/masklets/{masklet_id}/frames/" in text
    assert client.get("/api/docs/").status_code == 200


def test_browser_login_needs_csrf_once_logged_in(db):
    # given
    UserFactory(username="ann")
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/v1/auth/csrf/")
    token = client.cookies["csrftoken"].value
    # when
    bad = client.post(
        "/api/v1/auth/login/",
        {"username": "ann", "password": "nope"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    good = client.post(
        "/api/v1/auth/login/",
        {"username": "ann", "password": "pw-12345678"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    # then
    assert bad.status_code == 400
    assert bad.json()["message"] == "Invalid username or password."
    assert good.status_code == 200
    assert good.json()["username"] == "ann"
    assert client.get("/api/v1/auth/me/").json()["username"] == "ann"
    token = client.cookies["csrftoken"].value  # rotated at login
    assert client.post("/api/v1/projects/create/", {"name": "p"}, format="json").status_code == 403
    created = client.post(
        "/api/v1/projects/create/", {"name": "p"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201
    assert created.json()["my_role"] == "manager"
    client.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=token)
    assert client.get("/api/v1/auth/me/").status_code == 403


def test_client_side_routes_get_the_app_page(db, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    response = APIClient().get("/projects/3/videos/5")
    assert response.status_code == 200
    assert b"id=root" in b"".join(response.streaming_content)


def test_seed_sample_is_idempotent(db, django_capture_on_commit_callbacks, tmp_path, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setattr(env, "VAR_DIR", tmp_path)
    outputs = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            from io import StringIO

            out = StringIO()
            call_command("seed_sample", stdout=out)
            outputs.append(out.getvalue().strip().splitlines()[-1])
    assert outputs[0] == outputs[1]
    assert "password" in outputs[0]
    project = Project.objects.get(name="Sample project")
    video = Video.objects.get(project=project)
    assert (video.status, video.width, video.height, video.frame_count) == ("ready", 960, 540, 200)
    assert project.labels.count() == 3
