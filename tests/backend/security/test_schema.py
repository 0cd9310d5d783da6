"""The OpenAPI schema (/api/schema/) describes the API as it is: page envelopes, the error
responses, every parameter, bounded integers; and input is typed as the schema says."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rest_framework.test import APIClient

from backend.config import env
from tests.backend.conftest import Team, client_for

PAGINATED = {
    "/api/v1/users/",
    "/api/v1/projects/",
    "/api/v1/projects/{project_id}/members/",
    "/api/v1/projects/{project_id}/labels/",
    "/api/v1/projects/{project_id}/tasks/",
    "/api/v1/projects/{project_id}/videos/",
    "/api/v1/projects/{project_id}/exports/",
    "/api/v1/projects/{project_id}/masklets/",
    "/api/v1/projects/{project_id}/events/",
    "/api/v1/videos/{video_id}/masklets/",
    "/api/v1/videos/{video_id}/propagations/",
    "/api/v1/videos/{video_id}/automask/",
    "/api/v1/masklets/{masklet_id}/frames/",
    "/api/v1/masklets/{masklet_id}/prompts/",
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def _resolve(schema: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _operations(schema: dict):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _integers(schema: dict, node: Any, where: str, seen: set[str]):  # type: ignore[no-untyped-def]
    """(where, schema) of every integer in a request schema, nested ones included."""
    if isinstance(node, dict) and "$ref" in node:
        if node["$ref"] in seen:
            return
        seen = seen | {node["$ref"]}
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return
    if node.get("type") == "integer":
        yield where, node
    for name, child in (node.get("properties") or {}).items():
        yield from _integers(schema, child, f"{where}.{name}", seen)
    if "items" in node:
        yield from _integers(schema, node["items"], f"{where}[]", seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for child in node.get(key, []):
            yield from _integers(schema, child, where, seen)


def test_every_integer_a_client_sends_is_bounded(schema):
    unbounded = []
    for path, method, operation in _operations(schema):
        found = [(f"{p['in']} {p['name']}", p["schema"]) for p in operation.get("parameters", [])]
        for media in (operation.get("requestBody") or {}).get("content", {}).values():
            found += list(_integers(schema, media["schema"], "body", set()))
        for where, spec in found:
            if spec.get("type") == "integer" and ("minimum" not in spec or "maximum" not in spec):
                unbounded.append(f"{method.upper()} {path} {where}")
    assert unbounded == []


def test_paginated_lists_are_documented_as_pages(schema):
    def page_fields(operation: dict) -> set[str]:
        content = operation["responses"].get("200", {}).get("content", {})
        body = content.get("application/json", {}).get("schema")
        return set(_resolve(schema, body).get("properties", {})) if body else set()

    pages = {
        path
        for path, method, operation in _operations(schema)
        if method == "get" and {"count", "next", "previous", "results"} <= page_fields(operation)
    }
    assert pages == PAGINATED
    events = schema["paths"]["/api/v1/projects/{project_id}/events/"]["get"]
    names = {p["name"]: p["schema"] for p in events["parameters"]}
    assert names["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"message", "extra"}
    for path, method, operation in _operations(schema):
        codes = {code for code in operation["responses"] if code >= "400"}
        assert "500" in codes, (method, path)
        for code in codes:
            content = operation["responses"][code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)
        if path not in ("/api/v1/health/", "/api/v1/auth/csrf/", "/api/v1/auth/token/"):
            assert "403" in codes, (method, path)
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert {"400", "403", "429"} <= set(login)
    upload = schema["paths"]["/api/v1/projects/{project_id}/videos/upload/"]["post"]["responses"]
    assert {"404", "413", "422"} <= set(upload)


def test_masklet_delete_documents_its_required_version(schema):
    operation = schema["paths"]["/api/v1/masklets/{masklet_id}/"]["delete"]
    version = next(p for p in operation["parameters"] if p["name"] == "version")
    assert (version["in"], version["required"]) == ("query", True)
    assert "requestBody" not in operation


def _emails_without_blank(node: Any, blank_allowed: bool = False) -> int:
    """Email formats that an empty email (allowed everywhere here) would violate."""
    if isinstance(node, list):
        return sum(_emails_without_blank(item, blank_allowed) for item in node)
    if not isinstance(node, dict):
        return 0
    if node.get("format") == "email" and not blank_allowed:
        return 1
    count = 0
    for key, value in node.items():
        alternatives = value if key in ("oneOf", "anyOf") and isinstance(value, list) else []
        blank = any(isinstance(a, dict) and a.get("maxLength") == 0 for a in alternatives)
        count += _emails_without_blank(value, blank)
    return count


def test_no_schema_claims_an_email_format_that_an_empty_email_breaks(schema):
    assert _emails_without_blank(schema) == 0
    user = schema["components"]["schemas"]["UserOutput"]["properties"]["email"]
    assert user == {"type": "string"}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/projects/create/", {"name": 0}, "name"),
        (
            "post",
            "/api/v1/projects/{project}/exports/create/",
            {"format": "sav", "include_unaccepted": "yes"},
            "include_unaccepted",
        ),
        ("patch", "/api/v1/masklets/{masklet}/", {"version": "1", "name": "x"}, "version"),
        (
            "post",
            "/api/v1/masklets/{masklet}/prompts/add/",
            {"frame_index": 0, "points": [[0.5, "0.5", 1]]},
            "points",
        ),
        (
            "post",
            "/api/v1/masklets/{masklet}/prompts/add/",
            {"frame_index": True, "points": [[0.5, 0.5, 1]]},
            "frame_index",
        ),
    ],
)
def test_json_values_of_the_wrong_type_are_refused(team: Team, method, path, body, field):  # type: ignore[no-untyped-def]
    url = path.format(project=team.project.pk, masklet=team.masklet.pk)
    response = getattr(client_for(team.manager), method)(url, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["extra"]["fields"]


@pytest.mark.parametrize(
    "query",
    [
        "status=",
        "page_size=abc",
        "page_size=0",
        "page_size=501",
        "page=last",
        "page=0",
        "page=%EF%BC%91",  # a full-width digit one
        "label=abc",
        "label=",
    ],
)
def test_query_parameters_are_checked_like_the_schema_says(team: Team, query: str):
    response = client_for(team.manager).get(f"/api/v1/videos/{team.video.pk}/masklets/?{query}")
    assert response.status_code == 400, response.json()


def test_query_strings_still_parse_numbers_and_choices(team: Team):
    response = client_for(team.manager).get(
        f"/api/v1/videos/{team.video.pk}/masklets/?status=draft&label={team.label.pk}&page_size=5"
    )
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [team.masklet.pk]


def test_api_modules_use_the_strictly_typed_serializers():
    lenient = [
        str(path.relative_to(env.REPO_DIR))
        for path in Path(env.BACKEND_DIR).rglob("*.py")
        if re.search(r"^from rest_framework import serializers$", path.read_text(), re.M)
        and path.name != "serializers.py"
    ]
    assert lenient == [], "import serializers from backend.api (strict JSON types)"
