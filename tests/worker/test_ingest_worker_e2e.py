"""Ingest through a real worker process and the real broker (Redis in CI)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from backend.events.models import Event
from backend.projects.enums import Role
from backend.videos.models import Video
from tests.backend.factories import MembershipFactory, UserFactory
from tests.conftest import FIXTURES


@pytest.mark.e2e
@pytest.mark.slow
def test_uploaded_video_is_extracted_by_a_worker_process(worker_pool):
    worker_pool.start("default", "ingest")
    # given
    manager = UserFactory(username="boss")
    project = MembershipFactory(user=manager, role=Role.MANAGER).project
    client = APIClient()
    client.force_authenticate(manager)
    clip = (FIXTURES / "videos" / "08_driving.mp4").read_bytes()
    # when
    response = client.post(
        f"/api/v1/projects/{project.pk}/videos/upload/",
        {"file": SimpleUploadedFile("driving.mp4", clip)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    video_id = response.json()["id"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = Video.objects.get(pk=video_id).status
        if status in ("ready", "failed"):
            break
        time.sleep(0.3)
    # then
    video = Video.objects.get(pk=video_id)
    assert video.status == "ready", video.status_reason
    assert video.frame_count == 124
    frame = client.get(f"/api/v1/videos/{video_id}/frames/123.jpg")
    assert frame.status_code == 200
    kinds = list(Event.objects.filter(video_id=video_id).values_list("kind", flat=True))
    assert kinds[-1] == "video.ready"
    assert kinds.count("video.progress") >= 5
