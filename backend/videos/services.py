"""Video ingest: probe, checksum, store, then extract frames in the background."""

import hashlib
import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.services import event_record
from backend.projects.models import Project
from backend.videos.enums import VideoStatus
from backend.videos.models import Video
from backend.videos.probe import iter_frames, probe_video

logger = logging.getLogger(__name__)

# Progress events per video: enough for a smooth bar, few enough to keep the log short.
PROGRESS_STEPS = 20


def video_create_from_file(
    *, project: Project, creator: User | None, path: Path, name: str
) -> Video:
    """Ingest a local file (an upload's temporary file or a server-side path).

    Nothing is stored when the file is not a decodable video (UnprocessableError, 422).
    Queues frame extraction on commit.
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
                kind="video.uploaded",
                actor_id=creator.pk if creator else None,
                payload={
                    "name": video.name,
                    "frame_count": probe.frame_count,
                    "width": probe.width,
                    "height": probe.height,
                },
            )
            transaction.on_commit(lambda: _enqueue_extraction(video.pk))
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


def _enqueue_extraction(video_id: int) -> None:
    from backend.videos.tasks import video_extract_frames_task

    video_extract_frames_task.delay(video_id)


def video_extract_frames(*, video_id: int) -> None:
    """Decode every frame to an immutable JPEG. Safe to run twice (files are overwritten).

    The decoded count is authoritative: a container that over-announces its frames ends
    with the frames that really decode.
    """
    with transaction.atomic():
        video = Video.objects.select_for_update().get(pk=video_id)
        if video.status == VideoStatus.READY:
            return
        video.status, video.progress, video.status_reason = VideoStatus.PROCESSING, 0.0, ""
        video.save(update_fields=["status", "progress", "status_reason", "updated_at"])
        event_record(project_id=video.project_id, video_id=video.pk, kind="video.processing")

    try:
        decoded = _write_frames(video)
    except Exception as exc:
        logger.exception("frame extraction failed for video %s", video_id)
        _fail(video, f"Frame extraction failed: {exc}")
        return
    if decoded == 0:
        _fail(video, "No frame of the video could be decoded.")
        return
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(
            status=VideoStatus.READY, progress=1.0, frame_count=decoded
        )
        event_record(
            project_id=video.project_id,
            video_id=video.pk,
            kind="video.ready",
            payload={"frame_count": decoded, "announced_frames": video.frame_count},
        )


def _write_frames(video: Video) -> int:
    quality = [int(cv2.IMWRITE_JPEG_QUALITY), settings.FRAME_JPEG_QUALITY]
    step = max(1, video.frame_count // PROGRESS_STEPS)
    decoded = 0
    with _local_copy(video.file) as path:
        for index, frame in enumerate(iter_frames(path)):
            ok, jpeg = cv2.imencode(".jpg", frame, quality)
            if not ok:
                raise RuntimeError(f"JPEG encoding of frame {index} failed")
            default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
            decoded = index + 1
            if decoded % step == 0 and decoded < video.frame_count:
                progress = decoded / video.frame_count
                with transaction.atomic():
                    Video.objects.filter(pk=video.pk).update(progress=progress)
                    event_record(
                        project_id=video.project_id,
                        video_id=video.pk,
                        kind="video.progress",
                        payload={"progress": round(progress, 4), "frames": decoded},
                    )
    return decoded


def _fail(video: Video, reason: str) -> None:
    _delete_frames(video)
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(status=VideoStatus.FAILED, status_reason=reason)
        event_record(
            project_id=video.project_id,
            video_id=video.pk,
            kind="video.failed",
            payload={"reason": reason},
        )


def _delete_frames(video: Video) -> None:
    try:
        _dirs, files = default_storage.listdir(video.frames_prefix)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{video.frames_prefix}/{name}")


@transaction.atomic
def video_delete(*, video: Video, actor: User) -> None:
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind="video.deleted",
        actor_id=actor.pk,
        payload={"name": video.name},
    )
    file_name = video.file
    video.delete()

    def remove_files() -> None:
        _delete_frames(video)
        default_storage.delete(file_name)

    transaction.on_commit(remove_files)


@contextmanager
def _local_copy(name: str) -> Iterator[Path]:
    """A local filesystem path for a stored file (a temporary copy when storage is remote)."""
    try:
        local = Path(default_storage.path(name))
    except NotImplementedError:  # remote storage (S3) has no local path
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as tmp:
        with default_storage.open(name, "rb") as src:
            shutil.copyfileobj(src, tmp, length=1024 * 1024)
        tmp.flush()
        yield Path(tmp.name)


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
