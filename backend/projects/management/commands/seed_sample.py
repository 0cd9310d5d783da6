"""Create the sample project once: a manager account, labels and a real video.

Idempotent: a second run finds everything in place and prints the same credentials.
"""

import json
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from backend.accounts.models import User
from backend.config import env
from backend.projects.models import Label, Project
from backend.projects.services import label_create, project_create
from backend.videos.models import Video
from backend.videos.services import video_create_from_file

SAMPLE_PROJECT = "Sample project"
SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "sample_data" / "bedroom.mp4"
SAMPLE_LABELS = [("person", "#e6194b"), ("furniture", "#3cb44b"), ("toy", "#4363d8")]
MANAGER_USERNAME = "manager"


class Command(BaseCommand):
    help = "Create the sample project with a manager account and a sample video (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        credentials_file = env.VAR_DIR / "sample_credentials.json"
        password = self._manager_password(credentials_file)
        with transaction.atomic():
            manager = User.objects.filter(username=MANAGER_USERNAME).first()
            if manager is None:
                manager = User.objects.create_user(
                    MANAGER_USERNAME, password=password, is_staff=True, is_superuser=True
                )
            elif not manager.check_password(password):
                manager.set_password(password)
                manager.save(update_fields=["password"])
            project = Project.objects.filter(name=SAMPLE_PROJECT, memberships__user=manager).first()
            if project is None:
                project = project_create(
                    creator=manager,
                    name=SAMPLE_PROJECT,
                    description="A short real clip to try the platform on.",
                    frame_step=1,
                )
            for hotkey, (name, color) in enumerate(SAMPLE_LABELS, start=1):
                if not Label.objects.filter(project=project, name=name).exists():
                    label_create(
                        project=project, actor=manager, name=name, color=color, hotkey=hotkey
                    )
        if not Video.objects.filter(project=project, name=SAMPLE_VIDEO.name).exists():
            video_create_from_file(
                project=project, creator=manager, path=SAMPLE_VIDEO, name=SAMPLE_VIDEO.name
            )
            self.stdout.write(f"Queued frame extraction of {SAMPLE_VIDEO.name}.")
        self.stdout.write(
            f"Sample project #{project.pk}: log in as {MANAGER_USERNAME!r} "
            f"with password {password!r}"
        )

    def _manager_password(self, credentials_file: Path) -> str:
        """The sample manager's password, generated on first run and kept in var/."""
        if credentials_file.is_file():
            return str(json.loads(credentials_file.read_text())["password"])
        password = secrets.token_urlsafe(9)
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.touch(mode=0o600)
        credentials_file.write_text(
            json.dumps({"username": MANAGER_USERNAME, "password": password})
        )
        return password
