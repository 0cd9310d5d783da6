from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.projects.models import Label, Project, Task
from backend.videos.models import Video
from tests.backend.factories import (
    LabelFactory,
    MaskletFactory,
    MembershipFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
    make_ready_video,
)


@dataclass
class Team:
    """One project with a member of each role, an outsider, a ready video, a task for the
    annotator and a masklet in that task."""

    project: Project
    manager: User
    annotator: User
    other_annotator: User
    reviewer: User
    outsider: User
    video: Video
    task: Task
    label: Label
    masklet: Masklet

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def team(db) -> Team:
    project = ProjectFactory()
    users = {}
    for name, role in [
        ("manager", Role.MANAGER),
        ("annotator", Role.ANNOTATOR),
        ("other_annotator", Role.ANNOTATOR),
        ("reviewer", Role.REVIEWER),
    ]:
        users[name] = MembershipFactory(
            project=project, role=role, user=UserFactory(username=name)
        ).user
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, role=Role.MANAGER)  # manages some other project
    video = make_ready_video(project)
    task = TaskFactory(project=project, video=video, assignee=users["annotator"])
    label = LabelFactory(project=project, name="person")
    masklet = MaskletFactory(video=video, task=task, label=label, created_by=users["annotator"])
    return Team(
        project=project,
        video=video,
        task=task,
        label=label,
        masklet=masklet,
        outsider=outsider,
        **users,
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def _sam2_tasks_inline():
    """Clicks run SAM 2 inline (eager Celery) on the micro model of the fixtures."""
    import worker.clicks  # noqa: F401 -- answers the clicks made in this process
    import worker.tasks  # noqa: F401 -- registers the tasks in this process
