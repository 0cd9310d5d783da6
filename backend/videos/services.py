"""Video ingest: probe, checksum, store, then extract frames in the background (ingest.py)."""

import hashlib
import logging
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.jobs.enums import JobKind
from backend.jobs.services import job_create
from backend.masklets.actions import state_folder
from backend.projects.models import Project
from backend.videos.models import Video
from backend.videos.probe import probe_video

logger = logging.getLogger(__name__)


def video_create_from_file(
    *, project: Project, creator: User | None, path: Path, name: str
) -> Video:
    """Ingest a local file (an upload's temporary file or a server-side path).

    Nothing is stored when the file is not a decodable video (UnprocessableError, 422).
    Queues its ingest job (frame extraction, videos/ingest.py).
    """
    probe = probe_video(path)
    checksum = _sha256(path)
    key = uuid.uuid4().hex
    stored_name = default_storage.save(f"videos/{key}/{_safe_name(name)}", File(path.open("rb")))
    try:
        with transaction.atomic():
            video = Video.objects.create(
                project=project,
                name=name[:255],
                file=stored_name,
                frames_prefix=f"frames/{key}",
                checksum=checksum,
                size_bytes=path.stat().st_size,
                width=probe.width,
                height=probe.height,
                fps=probe.fps,
                frame_count=probe.frame_count,
                created_by=creator,
            )
            event_record(
                project_id=project.pk,
                video_id=video.pk,
                kind=EventKind.VIDEO_UPLOADED,
                actor_id=creator.pk if creator else None,
                payload={
                    "name": video.name,
                    "frame_count": probe.frame_count,
                    "width": probe.width,
                    "height": probe.height,
                },
            )
            job_create(kind=JobKind.INGEST, project=project, video=video, created_by=creator)
    except Exception:
        default_storage.delete(stored_name)
        raise
    return video


def video_import_path(*, project: Project, creator: User, path: str) -> Video:
    """Ingest a file that already lies on the server, under one of VIDEO_IMPORT_DIRS."""
    roots = [Path(p).resolve() for p in settings.VIDEO_IMPORT_DIRS]
    if not roots:
        raise ApplicationError(
            "Server-side import is disabled (set VIDEO_IMPORT_DIRS).", status=403
        )
    resolved = Path(path).resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ApplicationError(
            "The path is outside the folders allowed for import.",
            extra={"allowed": [str(r) for r in roots]},
            status=403,
        )
    if not resolved.is_file():
        raise ApplicationError(f"No file at {path}.", status=400)
    return video_create_from_file(
        project=project, creator=creator, path=resolved, name=resolved.name
    )


def delete_frames(video: Video) -> None:
    """The frames and the frame chunks (a folder per chunk size) of a video."""
    _delete_tree(video.frames_prefix)


def _delete_tree(prefix: str) -> None:
    """Every file under a storage folder (local folder or S3 prefix)."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
    for name in dirs:
        _delete_tree(f"{prefix}/{name}")


# Dataset attributes a manager may set on a video (VideoUpdateApi).
VIDEO_ATTRIBUTES = ("environment", "split")


@transaction.atomic
def video_update(*, video: Video, actor: User | None, data: dict[str, str]) -> Video:
    """Set the video's dataset attributes (keys of VIDEO_ATTRIBUTES, values already checked
    against their choices); records `video.updated` with what changed."""
    changed = [f for f in VIDEO_ATTRIBUTES if f in data and getattr(video, f) != data[f]]
    for field in changed:
        setattr(video, field, data[field])
    if changed:
        video.save(update_fields=[*changed, "updated_at"])
        event_record(
            project_id=video.project_id,
            video_id=video.pk,
            kind=EventKind.VIDEO_UPDATED,
            actor_id=actor.pk if actor else None,
            payload={f: data[f] for f in changed},
        )
    return video


@transaction.atomic
def video_delete(*, video: Video, actor: User) -> None:
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.VIDEO_DELETED,
        actor_id=actor.pk,
        payload={"name": video.name},
    )
    file_name, video_id = video.file, video.pk
    video.delete()

    def remove_files() -> None:
        delete_frames(video)
        default_storage.delete(file_name)
        _delete_tree(state_folder(video_id))  # its SAM 2 state, kept by the workers

    transaction.on_commit(remove_files)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_name(name: str) -> str:
    base = Path(name).name or "video"
    # Leading dots go: ".." (a name a client may send) is not a file name in storage.
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:120].lstrip(".") or "video"
