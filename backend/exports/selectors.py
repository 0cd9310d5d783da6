import re
from collections.abc import Iterator, Sequence
from typing import Literal

from django.core.files.storage import default_storage
from django.db.models import QuerySet, Value
from django.db.models.functions import Mod
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from backend.accounts.models import User
from backend.common.exceptions import ApplicationError
from backend.exports.formats.base import ExportMasklet, ExportVideo, FrameMask
from backend.exports.models import ExportJob
from backend.masklets.enums import MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame
from backend.masklets.selectors import masklet_sees_only_own
from backend.projects.models import Label, Project
from backend.projects.permissions import ANY_ROLE, membership_require
from backend.videos.enums import VideoStatus
from backend.videos.models import Video

# Rows fetched per database round trip while streaming frames.
FRAME_CHUNK = 2000


def export_job_list(*, project: Project) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(project=project).select_related("created_by")


def export_job_get_for_user(*, user: User, job_id: int, roles=ANY_ROLE) -> ExportJob:
    """The job if the user is a member of its project with one of `roles`; else 404/403."""
    job = ExportJob.objects.filter(pk=job_id).select_related("project", "created_by").first()
    if job is None:
        raise Http404("No such export.")
    membership_require(user=user, project_id=job.project_id, roles=roles)
    return job


def export_job_get_for_download(*, user: User, job_id: int) -> ExportJob:
    """The job if the user may download its zip: any member, except an annotator in consensus
    mode (they work blind, and an export holds every annotator's masks)."""
    job = export_job_get_for_user(user=user, job_id=job_id)
    membership = membership_require(user=user, project_id=job.project_id)
    if masklet_sees_only_own(role=membership.role, project=job.project):
        raise PermissionDenied(
            "In consensus mode annotators work blind, and an export holds every annotator's "
            "masks: managers and reviewers download it."
        )
    return job


def _video_key(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "video"


class JobExportSource:
    """An ExportJob's filters read from the database, frames streamed in chunks."""

    def __init__(self, job: ExportJob) -> None:
        self.job = job
        self.frame_step = job.frame_step
        videos = Video.objects.filter(project_id=job.project_id, status=VideoStatus.READY)
        if job.video_ids:
            videos = videos.filter(pk__in=job.video_ids)
        # A video without an exported masklet would add frames and no annotation.
        videos = videos.filter(
            pk__in=self._filtered(Masklet.objects.filter(video__project_id=job.project_id)).values(
                "video_id"
            )
        )
        self._videos = list(videos.order_by("id"))
        self._by_id = {video.pk: video for video in self._videos}
        self._keys = self._unique_keys(self._videos)

    @staticmethod
    def _unique_keys(videos: list[Video]) -> dict[int, str]:
        counts: dict[str, int] = {}
        for video in videos:
            key = _video_key(video.name)
            counts[key] = counts.get(key, 0) + 1
        return {
            v.pk: _video_key(v.name)
            if counts[_video_key(v.name)] == 1
            else f"{_video_key(v.name)}_{v.pk}"
            for v in videos
        }

    def video_count(self) -> int:
        return len(self._videos)

    def videos(self) -> Iterator[ExportVideo]:
        for video in self._videos:
            yield ExportVideo(
                id=video.pk,
                key=self._keys[video.pk],
                width=video.width,
                height=video.height,
                fps=video.fps,
                frame_count=video.frame_count,
                environment=video.environment,
                split=video.split,
            )

    def _filtered(self, masklets: QuerySet[Masklet]) -> QuerySet[Masklet]:
        # Consensus mode: versions a manager discarded for another annotator's never ship.
        masklets = masklets.filter(consensus_discarded=False)
        if not self.job.include_unaccepted:
            masklets = masklets.filter(status=MaskletStatus.ACCEPTED)
        if self.job.label_ids:
            masklets = masklets.filter(label_id__in=self.job.label_ids)
        return masklets

    def masklets(self, video: ExportVideo) -> list[ExportMasklet]:
        rows = (
            self._filtered(Masklet.objects.filter(video_id=video.id))
            .order_by("id")
            .values_list("id", "source", "label__name", "imported_from__attributes")
        )
        return [
            ExportMasklet(
                id=pk,
                source=source,
                label=label,
                imported_edited_frames=int((attributes or {}).get("masklet_edited_frame_count", 0)),
            )
            for pk, source, label, attributes in rows
        ]

    def frames(
        self,
        video: ExportVideo,
        masklet_ids: Sequence[int],
        *,
        order: Literal["frame", "masklet"],
        step: int,
    ) -> Iterator[FrameMask]:
        rows = MaskletFrame.objects.filter(
            masklet__video_id=video.id,
            masklet_id__in=list(masklet_ids),
            frame_index__lt=video.frame_count,
        )
        if step > 1:
            rows = rows.alias(step_rest=Mod("frame_index", Value(step))).filter(step_rest=0)
        ordering = (
            ("frame_index", "masklet_id") if order == "frame" else ("masklet_id", "frame_index")
        )
        fields = ("masklet_id", "frame_index", "rle", "area", "bbox", "origin", "score")
        for values in rows.order_by(*ordering).values_list(*fields).iterator(FRAME_CHUNK):
            yield FrameMask(*values)

    def frame_jpeg(self, video: ExportVideo, frame_index: int) -> bytes:
        name = self._by_id[video.id].frame_path(frame_index)
        try:
            with default_storage.open(name, "rb") as handle:
                return handle.read()
        except FileNotFoundError as exc:
            raise ApplicationError(
                f"Frame {frame_index} of video {video.key} is missing from storage."
            ) from exc

    def label_names(self) -> list[str]:
        labels = Label.objects.filter(project_id=self.job.project_id)
        if self.job.label_ids:
            labels = labels.filter(pk__in=self.job.label_ids)
        return list(labels.order_by("name").values_list("name", flat=True))
