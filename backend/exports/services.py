import logging
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any, TypedDict

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.events.kinds import EventKind
from backend.events.services import event_record
from backend.exports.enums import ExportFormat, ImportFormat
from backend.exports.formats import davis, sav, sav_import, vos, ytvis, ytvos
from backend.exports.formats.archive import ZipLimits
from backend.exports.formats.base import (
    ExportSource,
    ExportWarning,
    FormatError,
    ImportedFile,
    ImportedObject,
    ProgressFn,
    TargetVideo,
    warnings_result,
)
from backend.exports.models import EXPORT_PROGRESS_TOTAL, ExportJob, ImportedMasklet
from backend.exports.selectors import JobExportSource
from backend.exports.zipwriter import ZipWriter
from backend.jobs import registry
from backend.jobs.enums import JobKind, Transition
from backend.jobs.models import Job
from backend.jobs.runner import job_execute, worker_identity
from backend.jobs.services import JobStopped, job_create, job_progress
from backend.masklets.enums import FrameOrigin
from backend.masklets.models import Masklet
from backend.masklets.services import masklet_create, masklet_frames_write
from backend.projects.enums import Role
from backend.projects.models import Label, Project
from backend.videos.enums import VideoSplit
from backend.videos.models import Video
from backend.videos.services import video_update

logger = logging.getLogger(__name__)

# Each writer returns its warnings (also written to the zip's warnings.txt).
WRITERS: dict[str, Callable[[ZipWriter, ExportSource, ProgressFn], list[ExportWarning]]] = {
    ExportFormat.SAV: sav.write_training,
    ExportFormat.SAV_VAL: sav.write_val,
    ExportFormat.DAVIS: davis.write,
    ExportFormat.YTVOS: ytvos.write,
    ExportFormat.YTVIS: ytvis.write,
}
# The Celery task that runs export jobs (backend/exports/tasks.py).
EXPORT_TASK = "exports.run"
# Progress is written at most this often, so that a fast export is not a stream of UPDATEs.
PROGRESS_EVERY_S = 1.0
# A JSON import is parsed in memory; past this it is refused before reading.
IMPORT_MAX_JSON_BYTES = 256 * 1024 * 1024
IMPORT_ZIP_LIMITS = ZipLimits()


# ---- export ---------------------------------------------------------------------------


class ExportParams(TypedDict):
    format: str
    # Filters, frozen when the job is created. Empty lists mean "all".
    include_unaccepted: bool
    label_ids: list[int]
    video_ids: list[int]
    # Export frames 0, step, 2*step, ... (SA-V annotates every 4th frame of 24 fps video).
    frame_step: int


class ExportResult(TypedDict):
    file: str  # storage path of the zip
    size_bytes: int
    # The same warnings as the zip's warnings.txt (e.g. objects hidden by an older
    # overlapping one), and how many there were.
    warnings: list[dict[str, Any]]
    warning_count: int


@transaction.atomic
def export_job_create(
    *,
    project: Project,
    author: User,
    format: str,
    include_unaccepted: bool = False,
    label_ids: list[int] | None = None,
    video_ids: list[int] | None = None,
    frame_step: int | None = None,
) -> ExportJob:
    """Queue an export; a worker builds the zip once this commits (backend/jobs)."""
    label_ids = sorted(set(label_ids or []))
    video_ids = sorted(set(video_ids or []))
    foreign_labels = set(label_ids) - set(
        Label.objects.filter(project=project, pk__in=label_ids).values_list("pk", flat=True)
    )
    if foreign_labels:
        raise ApplicationError(
            "Some labels are not in this project.", extra={"label_ids": sorted(foreign_labels)}
        )
    foreign_videos = set(video_ids) - set(
        Video.objects.filter(project=project, pk__in=video_ids).values_list("pk", flat=True)
    )
    if foreign_videos:
        raise ApplicationError(
            "Some videos are not in this project.", extra={"video_ids": sorted(foreign_videos)}
        )
    params = ExportParams(
        format=format,
        include_unaccepted=include_unaccepted,
        label_ids=label_ids,
        video_ids=video_ids,
        frame_step=frame_step or project.frame_step,
    )
    job = job_create(
        kind=JobKind.EXPORT,
        project=project,
        created_by=author,
        params=dict(params),
        progress_total=EXPORT_PROGRESS_TOTAL,
    )
    return ExportJob.objects.get(pk=job.pk)


def export_build(job: Job) -> ExportResult:
    """The export job's run: builds the zip in a temporary file, frame by frame, then hands
    it to storage. Progress is written at most every PROGRESS_EVERY_S."""
    export = ExportJob.objects.get(pk=job.pk)
    last_write = 0.0

    def report(fraction: float) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write >= PROGRESS_EVERY_S:
            last_write = now
            done = int(min(fraction, 0.99) * EXPORT_PROGRESS_TOTAL)
            if not job_progress(job=job, done=done, announce=False):
                raise JobStopped

    with tempfile.TemporaryFile(suffix=".zip") as temp:
        # Memory stays flat in members: their directory records wait in a spill file.
        with ZipWriter(temp) as archive:
            warnings = WRITERS[export.format](archive, JobExportSource(export), report)
        size = temp.tell()
        temp.seek(0)
        name = default_storage.save(
            f"exports/{export.project_id}/export-{export.pk}-{export.format}.zip", File(temp)
        )
    return ExportResult(file=name, size_bytes=size, **warnings_result(warnings))


def export_job_run(*, job_id: int) -> ExportJob:
    """Runs a queued export in this process (the benchmark and tests; workers run it from
    the queue) and returns it finished."""
    job_execute(job_id=job_id, worker=worker_identity(None), run=export_build)
    return ExportJob.objects.get(pk=job_id)


def _export_payload(job: Job) -> dict[str, Any]:
    return {"export": job.pk, "format": job.params.get("format", "")}


registry.register(
    registry.JobKindSpec(
        kind=JobKind.EXPORT,
        task=EXPORT_TASK,
        route=lambda job: "default",
        events={
            Transition.QUEUED: EventKind.EXPORT_QUEUED,
            Transition.RUNNING: EventKind.EXPORT_RUNNING,
            Transition.REQUEUED: EventKind.EXPORT_REQUEUED,
            Transition.DONE: EventKind.EXPORT_DONE,
            Transition.FAILED: EventKind.EXPORT_FAILED,
            Transition.CANCELLED: EventKind.EXPORT_CANCELLED,
        },
        payload=_export_payload,
        describe_error=lambda exc: f"Export failed: {exc}",
    )
)


# ---- import ---------------------------------------------------------------------------


@transaction.atomic
def masklets_import(
    *,
    video: Video,
    actor: User,
    format: str,
    file: IO[bytes],
    file_name: str,
    source_video: str | None = None,
) -> list[Masklet]:
    """Create one masklet (origin imported) per object in the file, all or nothing.

    Every mask is checked against the video's size and frame count and every label name
    against the project's labels before anything is written. The video environment and
    split an SA-V file states are set on the video where it has none.
    """
    target = TargetVideo(
        width=video.width, height=video.height, frame_count=video.frame_count, fps=video.fps
    )
    parsed = _parse(
        format=format, file=file, file_name=file_name, target=target, source_video=source_video
    )
    objects = parsed.objects
    if not objects:
        raise FormatError(f"{file_name} holds no objects to import.")
    labels = _labels_by_name(video.project_id, objects)
    stem = PurePosixPath(file_name).stem
    masklets = []
    for obj in objects:
        masklet = masklet_create(
            video=video,
            author=actor,
            role=Role.MANAGER,
            label=labels.get(obj.label) if obj.label else None,
            name=f"{stem} #{obj.source_object_id}"[:100],
        )
        if obj.source != masklet.source:
            Masklet.objects.filter(pk=masklet.pk).update(source=obj.source)
            masklet.source = obj.source
        masklet_frames_write(
            masklet=masklet,
            actor=actor,
            version=masklet.version,
            frames=[
                {"frame_index": f.frame_index, "rle": dict(f.rle), "score": f.score}
                for f in obj.frames
            ],
            default_origin=FrameOrigin.IMPORTED,
        )
        ImportedMasklet.objects.create(
            masklet=masklet,
            format=format,
            file_name=file_name[:255],
            source_object_id=obj.source_object_id[:64],
            attributes=obj.attributes,
            created_by=actor,
        )
        masklets.append(masklet)
    _adopt_video_attributes(video=video, actor=actor, parsed=parsed)
    event_record(
        project_id=video.project_id,
        video_id=video.pk,
        kind=EventKind.MASKLETS_IMPORTED,
        actor_id=actor.pk,
        payload={"format": format, "file": file_name, "masklets": [m.pk for m in masklets]},
    )
    return masklets


def _parse(
    *,
    format: str,
    file: IO[bytes],
    file_name: str,
    target: TargetVideo,
    source_video: str | None,
) -> ImportedFile:
    if format in (ImportFormat.DAVIS, ImportFormat.YTVOS, ImportFormat.SAV_VAL):
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FormatError(f"{file_name} is not a zip archive.") from exc
        with archive:
            if format == ImportFormat.SAV_VAL:
                return sav_import.parse_val_zip(
                    archive, target=target, source_video=source_video, limits=IMPORT_ZIP_LIMITS
                )
            return vos.parse_zip(
                archive,
                target=target,
                source_video=source_video,
                limits=IMPORT_ZIP_LIMITS,
                # DAVIS 2017's evaluation reads index 255 as void, not as an object.
                void=255 if format == ImportFormat.DAVIS else None,
            )
    data = file.read(IMPORT_MAX_JSON_BYTES + 1)
    if len(data) > IMPORT_MAX_JSON_BYTES:
        raise FormatError(f"{file_name} is larger than {IMPORT_MAX_JSON_BYTES} bytes.")
    if format == ImportFormat.SAV:
        return sav_import.parse(data, name=file_name, target=target)
    if format == ImportFormat.YTVIS:
        return ytvis.parse(data, name=file_name, target=target, source_video=source_video)
    raise FormatError(f"Unknown import format {format!r}.")


def _adopt_video_attributes(*, video: Video, actor: User, parsed: ImportedFile) -> None:
    """An SA-V file states its video's environment and split: the video takes them where
    it has none (a manager's choice is never overwritten)."""
    changes = {}
    if parsed.environment and not video.environment:
        changes["environment"] = parsed.environment
    if parsed.split in VideoSplit.values and not video.split:
        changes["split"] = parsed.split
    if changes:
        video_update(video=video, actor=actor, data=changes)


def _labels_by_name(project_id: int, objects: list[ImportedObject]) -> dict[str, Label]:
    wanted = {obj.label for obj in objects if obj.label}
    labels = {
        label.name: label for label in Label.objects.filter(project_id=project_id, name__in=wanted)
    }
    unknown = sorted(wanted - set(labels))
    if unknown:
        raise FormatError(
            f"Labels not in this project: {', '.join(unknown)}. Add them first or rename them.",
            extra={"unknown_labels": unknown},
        )
    return labels
