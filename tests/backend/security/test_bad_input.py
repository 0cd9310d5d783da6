"""Bad input gets a 4xx in the error shape {"message", "extra"}, never a 500 or an HTML page;
a bug gets a JSON 500 whose reference is in the log."""

import logging

import pytest
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from backend.api import errors
from backend.api.fields import INT_MAX
from backend.api.parsers import MAX_JSON_DEPTH, json_depth
from backend.masklets import selectors
from tests.backend.conftest import Team, client_for
from tests.conftest import FIXTURES

DEEP = "[" * 100_000 + "]" * 100_000


def _is_error_shape(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["message"]
    return body


@pytest.mark.parametrize("path", ["/api/v1/auth/login/", "/api/v1/auth/token/"])
def test_deeply_nested_json_from_anyone_is_a_400(db, path: str):
    response = APIClient().generic("POST", path, DEEP, content_type="application/json")
    body = _is_error_shape(response, 400)
    assert body["message"] == f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."


def test_deeply_nested_json_on_an_endpoint_that_reads_it_is_a_400(team: Team):
    response = client_for(team.annotator).generic(
        "PUT", f"/api/v1/masklets/{team.masklet.pk}/frames/", DEEP, content_type="application/json"
    )
    _is_error_shape(response, 400)


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth(b'{"a": [1, {"b": [2]}]}') == 4
    nested_in_string = b'{"a": "' + b"[" * 1000 + b'\\"' + b"{" * 1000 + b'"}'
    assert json_depth(nested_in_string) == 1
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert json_depth(at_limit) == MAX_JSON_DEPTH
    assert json_depth(b"[" + at_limit + b"]") == MAX_JSON_DEPTH + 1
    assert json_depth(b"[]" * 10_000) == 1  # many, but side by side


def test_json_nested_to_the_limit_is_parsed(team: Team):
    # 32 levels are allowed: the answer is about the content, not the nesting
    body = (
        '{"version": 1, "frames": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    )
    response = client_for(team.annotator).generic(
        "PUT", f"/api/v1/masklets/{team.masklet.pk}/frames/", body, content_type="application/json"
    )
    assert "nested deeper" not in _is_error_shape(response, 400)["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"frame_index": 0, "points": [[0.5, 0.5]]},
            "points.0: A point is [x, y, label]: 3 numbers.",
        ),
        (
            {"frame_index": 0, "points": [[0.5, 0.5, 1, 1]]},
            "points.0: A point is [x, y, label]: 3 numbers.",
        ),
        ({"frame_index": 0, "box": [0.1, 0.1, 0.5]}, "box: A box is [x0, y0, x1, y1]: 4 numbers."),
        (
            {"frame_index": 0, "box": [0.1, 0.1, 0.5, 0.6, 0.7]},
            "box: A box is [x0, y0, x1, y1]: 4 numbers.",
        ),
        (
            {"frame_index": 2**31, "points": [[0.5, 0.5, 1]]},
            "frame_index: Ensure this value is less than or equal to 2147483647.",
        ),
    ],
)
def test_malformed_prompts_are_a_400(team: Team, body: dict, message: str):
    response = client_for(team.annotator).post(
        f"/api/v1/masklets/{team.masklet.pk}/prompts/add/", body, format="json"
    )
    assert _is_error_shape(response, 400)["message"] == message


def test_export_frame_step_past_the_database_integer_is_a_400(team: Team):
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/exports/create/",
        {"format": "sav", "frame_step": 2**31},
        format="json",
    )
    body = _is_error_shape(response, 400)
    assert body["extra"]["fields"]["frame_step"] == [
        f"Ensure this value is less than or equal to {INT_MAX}."
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/projects/{project}/events/?after=99999999999999999999", None),
        ("get", "/api/v1/projects/{project}/events/?video=-99999999999999999999", None),
        ("get", "/api/v1/videos/{video}/masklets/?task=99999999999999999999", None),
        (
            "post",
            "/api/v1/videos/{video}/propagations/create/",
            {"masklet_ids": [2**63], "start_frame": 0},
        ),
        ("post", "/api/v1/projects/{project}/tasks/create/", {"video_id": 2**64}),
        ("put", "/api/v1/masklets/{masklet}/frames/", {"version": 2**40}),
    ],
)
def test_integers_past_what_the_database_holds_are_a_400(team: Team, method: str, path: str, body):  # type: ignore[no-untyped-def]
    url = path.format(project=team.project.pk, video=team.video.pk, masklet=team.masklet.pk)
    response = getattr(client_for(team.manager), method)(url, body, format="json")
    _is_error_shape(response, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/99999999999999999999999/",
        "/api/v1/masklets/9223372036854775808/frames/",
        "/api/v1/videos/18446744073709551616/frames/0.jpg",
    ],
)
def test_path_ids_past_what_the_database_holds_are_a_404(team: Team, path: str):
    _is_error_shape(client_for(team.manager).get(path), 404)


def test_unknown_api_path_is_a_json_404_and_other_paths_keep_html(db):
    body = _is_error_shape(Client().get("/api/v1/no-such-thing/"), 404)
    assert body["extra"] == {"path": "/api/v1/no-such-thing/"}
    page = Client().get("/media/no-such-thing")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_oversized_json_is_a_413_in_the_error_shape(team: Team, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(team.manager).post(
        "/api/v1/projects/create/", {"name": "x", "description": "y" * 2000}, format="json"
    )
    assert _is_error_shape(response, 413)["message"] == (
        "The request body is larger than the limit of 1000 bytes."
    )


def test_oversized_form_field_of_an_upload_is_a_413_in_the_error_shape(team: Team, settings):
    # the non-file fields of a multipart body are held to DATA_UPLOAD_MAX_MEMORY_SIZE
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/videos/upload/",
        {"name": "x" * 2000},
        format="multipart",
    )
    _is_error_shape(response, 413)


def test_form_encoded_bodies_are_refused_as_unsupported(db):
    response = APIClient().post(
        "/api/v1/auth/token/",
        "username=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    _is_error_shape(response, 415)


def test_too_many_form_fields_is_a_400_in_the_error_shape(team: Team, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"field{i}": "x" for i in range(20)}
    response = client_for(team.manager).post(
        f"/api/v1/projects/{team.project.pk}/videos/upload/", fields, format="multipart"
    )
    assert "exceeded" in _is_error_shape(response, 400)["message"]


def test_a_video_named_dot_dot_is_stored_under_a_safe_name(team: Team):
    with (FIXTURES / "videos" / "21_biker.mp4").open("rb") as handle:
        response = client_for(team.manager).post(
            f"/api/v1/projects/{team.project.pk}/videos/upload/",
            {"file": handle, "name": ".."},
            format="multipart",
        )
    assert response.status_code == 201, response.content[:300]
    assert response.json()["name"] == ".."


def test_a_bug_in_a_view_is_a_json_500_with_a_logged_reference(team: Team, monkeypatch, caplog):
    # given: a view whose selector fails unexpectedly
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "masklet_get_for_user", broken)
    # when
    with caplog.at_level(logging.ERROR, logger="backend.api"):
        response = client_for(team.reviewer).get(f"/api/v1/masklets/{team.masklet.pk}/")
    # then: the client gets a reference; the log has it with the traceback
    body = _is_error_shape(response, 500)
    reference = body["extra"]["reference"]
    assert reference in body["message"]
    record = next(r for r in caplog.records if reference in r.getMessage())
    assert record.exc_info is not None
    assert "boom" in str(record.exc_info[1])


def test_django_level_500_under_api_is_json_with_a_logged_reference(caplog):
    request = RequestFactory().get("/api/v1/projects/")
    with caplog.at_level(logging.ERROR, logger="backend.api"):
        try:
            raise ValueError("outside any view")
        except ValueError:
            response = errors.server_error(request)
    assert response.status_code == 500
    reference = __import__("json").loads(response.content)["extra"]["reference"]
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
    page = errors.server_error(RequestFactory().get("/projects/1"))
    assert page["Content-Type"].startswith("text/html")
