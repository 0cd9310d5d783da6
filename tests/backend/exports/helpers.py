"""Videos for export tests: the row plus only the frames an export reads, all one JPEG."""

import io
import json
import uuid
import zipfile
from pathlib import Path

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from backend.common import rle as rle_codec
from backend.masklets.enums import FrameOrigin, MaskletStatus
from backend.masklets.models import Masklet, MaskletFrame
from backend.projects.models import Project
from backend.videos.enums import VideoStatus
from backend.videos.models import Video

SAV_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "sav"


def sav_sample(kind: str = "manual") -> dict:
    return json.loads((SAV_DIR / f"sav_000001_{kind}.json").read_text())


def make_video(
    project: Project,
    *,
    name: str = "clip.mp4",
    frames: int = 8,
    width: int = 32,
    height: int = 24,
    fps: float = 24.0,
    distinct: bool = False,
) -> Video:
    """A READY video; every frame is the same small grey JPEG (exports copy, never decode),
    or with `distinct` each frame its own (grey level = frame index), to tell them apart."""
    key = uuid.uuid4().hex
    video = Video.objects.create(
        project=project,
        name=name,
        file=f"videos/{key}/{name}",
        frames_prefix=f"frames/{key}",
        checksum="0" * 64,
        size_bytes=1,
        width=width,
        height=height,
        fps=fps,
        frame_count=frames,
        status=VideoStatus.READY,
        progress=1.0,
    )
    ok, jpeg = cv2.imencode(".jpg", np.full((height, width, 3), 90, np.uint8))
    assert ok
    for index in range(frames):
        if distinct:
            ok, jpeg = cv2.imencode(".jpg", np.full((height, width, 3), index % 256, np.uint8))
        default_storage.save(video.frame_path(index), ContentFile(jpeg.tobytes()))
    return video


def add_masklet(
    video: Video,
    masks: dict[int, np.ndarray],
    *,
    status: str = MaskletStatus.ACCEPTED,
    label=None,
    source: str = "manual",
    origin: str = FrameOrigin.PROPAGATED,
) -> Masklet:
    masklet = Masklet.objects.create(video=video, status=status, label=label, source=source)
    for index, mask in masks.items():
        rle = rle_codec.encode(mask)
        MaskletFrame.objects.create(
            masklet=masklet,
            frame_index=index,
            rle=rle,
            area=rle_codec.area(rle),
            bbox=rle_codec.bbox(rle),
            origin=origin,
            score=0.5 if source == "auto" else None,
        )
    return masklet


def box_mask(height: int, width: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def open_export(job) -> zipfile.ZipFile:
    with default_storage.open(job.file, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()
