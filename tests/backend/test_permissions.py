"""Every endpoint x every role: manager, assigned annotator, another annotator, reviewer,
outsider (a member of another project only) and anonymous."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.projects.enums import Role
from backend.projects.models import Membership
from tests.backend.conftest import Team, client_for
from tests.backend.factories import UserFactory
from tests.backend.reviews import helpers as rv
from tests.conftest import FIXTURES

ROLES = ("manager", "annotator", "other_annotator", "reviewer", "outsider", "anonymous")


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[Team], str]
    expected: tuple[int, int, int, int, int, int]  # in the order of ROLES
    body: Callable[[Team], Any] | None = None
    multipart: bool = False


def _rle_all_ones(team: Team) -> dict:
    import numpy as np

    from backend.common import rle

    return rle.encode(np.ones((team.video.height, team.video.width), np.uint8))


def _membership(team: Team, user) -> int:  # type: ignore[no-untyped-def]
    return Membership.objects.get(project=team.project, user=user).pk


def _new_user(team: Team) -> dict:
    UserFactory(username="newbie")
    return {"username": "newbie", "role": Role.REVIEWER}


READ = (200, 200, 200, 200, 404, 403)
# User accounts are staff's (none of the matrix's roles is staff; tests/backend/accounts has
# the staff side).
STAFF_ONLY = (403, 403, 403, 403, 403, 403)
# Anyone may use an invite link; an unknown token is 404 for all.
PUBLIC_404 = (404, 404, 404, 404, 404, 404)
MANAGE = lambda ok: (ok, 403, 403, 403, 404, 403)  # noqa: E731 -- a table, read as one
EDIT_MASKS = lambda ok: (ok, ok, 403, 403, 404, 403)  # noqa: E731

CASES = [
    Case("user list", "get", lambda t: "/api/v1/users/", STAFF_ONLY),
    Case(
        "user create",
        "post",
        lambda t: "/api/v1/users/create/",
        STAFF_ONLY,
        body=lambda t: {"username": "newbie"},
    ),
    Case(
        "user update",
        "patch",
        lambda t: f"/api/v1/users/{t.annotator.pk}/",
        STAFF_ONLY,
        body=lambda t: {"is_active": False},
    ),
    Case(
        "user password",
        "post",
        lambda t: f"/api/v1/users/{t.annotator.pk}/password/",
        STAFF_ONLY,
        body=lambda t: {"password": "a-long-enough-pass-42"},
    ),
    Case("user invite", "post", lambda t: f"/api/v1/users/{t.annotator.pk}/invite/", STAFF_ONLY),
    # Managers of any project (the outsider manages another one) look users up to add them.
    Case(
        "user lookup", "get", lambda t: "/api/v1/users/lookup/?q=a", (200, 403, 403, 403, 200, 403)
    ),
    Case(
        "invite check",
        "post",
        lambda t: "/api/v1/auth/invites/check/",
        PUBLIC_404,
        body=lambda t: {"token": "unknown"},
    ),
    Case(
        "invite accept",
        "post",
        lambda t: "/api/v1/auth/invites/accept/",
        PUBLIC_404,
        body=lambda t: {"token": "unknown", "password": "a-long-enough-pass-42"},
    ),
    Case("project list", "get", lambda t: "/api/v1/projects/", (200, 200, 200, 200, 200, 403)),
    Case(
        "project create",
        "post",
        lambda t: "/api/v1/projects/create/",
        (201, 201, 201, 201, 201, 403),
        body=lambda t: {"name": "New"},
    ),
    Case("project detail", "get", lambda t: f"/api/v1/projects/{t.project.pk}/", READ),
    Case(
        "project update",
        "patch",
        lambda t: f"/api/v1/projects/{t.project.pk}/update/",
        MANAGE(200),
        body=lambda t: {"frame_step": 4},
    ),
    Case("member list", "get", lambda t: f"/api/v1/projects/{t.project.pk}/members/", READ),
    Case(
        "member add",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/members/add/",
        MANAGE(201),
        body=_new_user,
    ),
    Case(
        "member role change",
        "patch",
        lambda t: f"/api/v1/members/{_membership(t, t.reviewer)}/",
        MANAGE(200),
        body=lambda t: {"role": Role.ANNOTATOR},
    ),
    Case(
        "member remove",
        "delete",
        lambda t: f"/api/v1/members/{_membership(t, t.reviewer)}/",
        MANAGE(204),
    ),
    Case("label list", "get", lambda t: f"/api/v1/projects/{t.project.pk}/labels/", READ),
    Case(
        "label create",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/labels/create/",
        MANAGE(201),
        body=lambda t: {"name": "car", "color": "#ff0000"},
    ),
    Case(
        "label update",
        "patch",
        lambda t: f"/api/v1/labels/{t.label.pk}/",
        MANAGE(200),
        body=lambda t: {"color": "#00ff00"},
    ),
    Case(
        "label reorder",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/labels/reorder/",
        MANAGE(200),
        body=lambda t: {"label_ids": [t.label.pk]},
    ),
    Case("label delete", "delete", lambda t: f"/api/v1/labels/{t.label.pk}/", MANAGE(204)),
    Case("video list", "get", lambda t: f"/api/v1/projects/{t.project.pk}/videos/", READ),
    # A manager's upload passes the role check and is then refused for its content.
    Case(
        "video upload",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/videos/upload/",
        MANAGE(422),
        multipart=True,
        body=lambda t: {"file": SimpleUploadedFile("notes.mp4", b"not a video")},
    ),
    Case(
        "video import",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/videos/import/",
        MANAGE(201),
        body=lambda t: {"path": str(FIXTURES / "videos" / "08_driving.mp4")},
    ),
    Case("video detail", "get", lambda t: f"/api/v1/videos/{t.video.pk}/", READ),
    Case("video delete", "delete", lambda t: f"/api/v1/videos/{t.video.pk}/", MANAGE(204)),
    Case(
        "video update",
        "patch",
        lambda t: f"/api/v1/videos/{t.video.pk}/update/",
        MANAGE(200),
        body=lambda t: {"environment": "Outdoor", "split": "val"},
    ),
    Case("video frame", "get", lambda t: f"/api/v1/videos/{t.video.pk}/frames/0.jpg", READ),
    Case("workspace bundle", "get", lambda t: f"/api/v1/videos/{t.video.pk}/workspace/", READ),
    Case(
        "video frame chunk",
        "get",
        lambda t: f"/api/v1/videos/{t.video.pk}/frames/chunks/0.sfc",
        READ,
    ),
    Case("task list", "get", lambda t: f"/api/v1/projects/{t.project.pk}/tasks/", READ),
    Case(
        "task create",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/tasks/create/",
        MANAGE(201),
        body=lambda t: {"video_id": t.video.pk, "assignee": "other_annotator"},
    ),
    Case(
        "task update",
        "patch",
        lambda t: f"/api/v1/tasks/{t.task.pk}/",
        MANAGE(200),
        body=lambda t: {"stage": "review"},
    ),
    Case(
        "task split",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/tasks/split/",
        MANAGE(201),
        body=lambda t: {"video_id": t.video.pk, "assignees": ["annotator", "other_annotator"]},
    ),
    Case(
        "task bulk assign",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/tasks/assign/",
        MANAGE(200),
        body=lambda t: {"task_ids": [t.task.pk], "assignee": "other_annotator"},
    ),
    Case("task delete", "delete", lambda t: f"/api/v1/tasks/{t.task.pk}/", MANAGE(204)),
    Case("masklet list", "get", lambda t: f"/api/v1/videos/{t.video.pk}/masklets/", READ),
    Case(
        "masklet create",
        "post",
        lambda t: f"/api/v1/videos/{t.video.pk}/masklets/create/",
        EDIT_MASKS(201),
        body=lambda t: {"task_id": t.task.pk, "name": "cat"},
    ),
    Case("masklet detail", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/", READ),
    Case(
        "masklet update",
        "patch",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/",
        EDIT_MASKS(200),
        body=lambda t: {"version": 1, "name": "dog"},
    ),
    Case(
        "masklet delete",
        "delete",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/?version=1",
        EDIT_MASKS(204),
    ),
    Case("masklet frames read", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/frames/", READ),
    Case(
        "masklet frames write",
        "put",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/frames/",
        EDIT_MASKS(200),
        body=lambda t: {"version": 1, "frames": [{"frame_index": 0, "rle": _rle_all_ones(t)}]},
    ),
    Case("prompt list", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/prompts/", READ),
    Case(
        "prompt add",
        "post",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/prompts/add/",
        EDIT_MASKS(201),
        body=lambda t: {"frame_index": 0, "points": [[0.5, 0.5, 1]]},
    ),
    Case("event list", "get", lambda t: f"/api/v1/projects/{t.project.pk}/events/", READ),
    # Review workflow (backend/reviews).
    Case(
        "masklet submit",
        "post",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/submit/",
        EDIT_MASKS(200),
        body=rv.matrix_submittable,
    ),
    Case("masklet history", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/history/", READ),
    Case("masklet reviews", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/reviews/", READ),
    Case("masklet comments", "get", lambda t: f"/api/v1/masklets/{t.masklet.pk}/comments/", READ),
    Case(
        "comment resolve",
        "post",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/comments/{rv.latest_comment_id()}/resolve/",
        EDIT_MASKS(200),
        body=rv.matrix_comment,
    ),
    Case(
        "masklet override",
        "post",
        lambda t: f"/api/v1/masklets/{t.masklet.pk}/override/",
        MANAGE(200),
        body=lambda t: {"status": "accepted", "reason": "checked"},
    ),
    Case(
        "review queue",
        "get",
        lambda t: f"/api/v1/projects/{t.project.pk}/review-queue/",
        (200, 403, 403, 200, 404, 403),
    ),
    Case(
        "review queue next",
        "post",
        lambda t: f"/api/v1/projects/{t.project.pk}/review-queue/next/",
        (200, 403, 403, 200, 404, 403),
        body=rv.matrix_submitted,
    ),
    Case(
        "review assignment renew",
        "post",
        lambda t: f"/api/v1/review-assignments/{rv.latest_assignment_id()}/renew/",
        (403, 403, 403, 200, 404, 403),
        body=rv.matrix_assignment,
    ),
    Case(
        "review assignment release",
        "post",
        lambda t: f"/api/v1/review-assignments/{rv.latest_assignment_id()}/release/",
        (204, 403, 403, 204, 404, 403),
        body=rv.matrix_assignment,
    ),
    Case(
        "review verdict",
        "post",
        lambda t: f"/api/v1/review-assignments/{rv.latest_assignment_id()}/verdict/",
        (403, 403, 403, 200, 404, 403),
        body=lambda t: rv.matrix_assignment(t, {"verdict": "satisfactory"}),
    ),
    Case("project masklets", "get", lambda t: f"/api/v1/projects/{t.project.pk}/masklets/", READ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_endpoint_answers_each_role_as_the_matrix_says(
    team: Team, case: Case, role: str, django_capture_on_commit_callbacks
):
    # given
    client = client_for(team.user(role))
    body = case.body(team) if case.body else None
    # when
    with django_capture_on_commit_callbacks(execute=True):
        kwargs: dict[str, Any] = {"format": "multipart" if case.multipart else "json"}
        if body is not None:
            kwargs["data"] = body
        response = getattr(client, case.method)(case.path(team), **kwargs)
    # then
    expected = case.expected[ROLES.index(role)]
    assert response.status_code == expected, (role, response.content[:300])
    if expected >= 400 and response.get("Content-Type") == "application/json":
        assert response.json()["message"]


def test_outsider_project_list_shows_only_their_own_projects(team: Team):
    response = client_for(team.outsider).get("/api/v1/projects/")
    names = [p["name"] for p in response.json()["results"]]
    assert team.project.name not in names
    assert len(names) == 1


def test_token_auth_works_for_scripts(team: Team, api):
    # given
    team.manager.set_password("pw-12345678")
    team.manager.save()
    token = api.post(
        "/api/v1/auth/token/", {"username": "manager", "password": "pw-12345678"}, format="json"
    ).json()["token"]
    # when
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get(f"/api/v1/projects/{team.project.pk}/")
    # then
    assert response.status_code == 200
    assert response.json()["my_role"] == "manager"
