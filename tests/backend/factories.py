import uuid

import cv2
import factory
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from backend.accounts.models import User
from backend.masklets.models import Masklet
from backend.projects.enums import Role
from backend.projects.models import Label, Membership, Project, Task
from backend.videos.enums import VideoStatus
from backend.videos.models import Video


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-12345678")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"label{n}")


def make_ready_video(
    project: Project, *, frames: int = 4, width: int = 64, height: int = 48
) -> Video:
    """A READY video whose frames are small real JPEGs in storage (no decoding needed)."""
    key = uuid.uuid4().hex
    video = Video.objects.create(
        project=project,
        name=f"{key[:6]}.mp4",
        file=f"videos/{key}/v.mp4",
        frames_prefix=f"frames/{key}",
        checksum="0" * 64,
        size_bytes=1,
        width=width,
        height=height,
        fps=24.0,
        frame_count=frames,
        status=VideoStatus.READY,
        progress=1.0,
    )
    for index in range(frames):
        image = np.full((height, width, 3), index * 40 % 256, np.uint8)
        ok, jpeg = cv2.imencode(".jpg", image)
        assert ok
        default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
    return video


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)


class MaskletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Masklet

    name = factory.Sequence(lambda n: f"object {n}")
