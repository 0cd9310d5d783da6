"""SA-V imports: a training JSON (one video's manual or auto masklets) and the val/test
layout (a zip of Annotations_6fps/{video}/{object}/{frame}.png).

Every field the file has is checked for its type and range, required or not, and nothing
proportional to `masklet_num` is allocated before the file's own rows have confirmed it
(a 400-byte file cannot make the server build millions of objects).

Frames: SA-V's entry j is 24 fps frame 4j. On a 24 fps video that is video frame 4j; on a
video of another rate it is the frame `timeline_24fps` maps it to (the inverse of the
export's resampling), chosen when the file's video_frame_count is the video's frame count
at 24 fps. Files annotated at another regular step (SAM 2's loader takes any ann_every) are
read at the step that makes their rows cover the video.
"""

import functools
import math
import posixpath
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from backend.common import rle as rle_codec
from backend.exports.formats.archive import (
    ZipLimits,
    choose_folder,
    entry_parts,
    frame_number,
    load_json,
    read_entry,
    safe_entries,
)
from backend.exports.formats.base import (
    FormatError,
    ImportedFile,
    ImportedFrame,
    ImportedObject,
    TargetVideo,
)
from backend.exports.formats.checks import FieldReader, describe
from backend.exports.formats.images import read_png_indices
from backend.exports.formats.sav import ENVIRONMENTS, MASKLET_TYPES, is_24fps, timeline_24fps

REQUIRED = ("masklet", "masklet_num", "video_height", "video_width")
SIZE_BUCKETS = ("small", "medium", "large")


def parse(data: bytes, *, name: str, target: TargetVideo) -> ImportedFile:
    doc = load_json(data, name=name)
    if not isinstance(doc, dict):
        raise FormatError(f"{name}: an SA-V file is a JSON object, not {describe(doc)}.")
    missing = [key for key in REQUIRED if key not in doc]
    if missing:
        raise FormatError(f"{name}: missing SA-V fields {', '.join(missing)}.")
    read = FieldReader(name)
    _same_size(read, doc, "video_height", target.height)
    _same_size(read, doc, "video_width", target.width)
    count = read.whole(doc["masklet_num"], "masklet_num", minimum=0)
    rows = read.array(doc["masklet"], "masklet")
    if not rows:
        read.fail("masklet", "must be a non-empty list over annotated frames.")
    # The rows confirm masklet_num before anything of that size is built.
    for i, row in enumerate(rows):
        read.array(row, f"masklet[{i}]")
        if len(row) != count:
            read.fail(
                f"masklet[{i}]",
                f"must list {count} masks (masklet_num), not {len(row)}.",
                frame=i,
            )
    environment, split = _video_fields(read, doc)
    timeline = _timeline(read, doc, target)
    step = _frame_step(len(rows), len(timeline), name)

    per_object = _ObjectFields(read, doc, count)
    ids = per_object.get("masklet_id", lambda v, f: read.whole(v, f, minimum=None))
    kinds = per_object.get("masklet_type", lambda v, f: read.text(v, f, choices=MASKLET_TYPES))
    edited = per_object.get("masklet_edited_frame_count", lambda v, f: read.whole(v, f))
    per_object.check_others()
    scores = _stability_scores(read, doc.get("masklet_stability_score"), len(rows), count)

    objects = [
        ImportedObject(
            source_object_id=str(ids[j]) if ids else str(j),
            source=kinds[j] if kinds else "manual",
            attributes={
                "masklet_edited_frame_count": edited[j] if edited else 0,
                "video_id": doc.get("video_id", ""),
                "video_environment": environment,
                "video_split": split,
            },
        )
        for j in range(count)
    ]
    previous = -1
    for i, row in enumerate(rows):
        frame = timeline[i * step]
        if frame == previous:  # a video under 6 fps shows one frame at two annotated times
            continue
        previous = frame
        score_row = scores[i] if scores is not None else None
        for j, value in enumerate(row):
            if value is None:  # not annotated on this frame (SAM 2's loader reads it so)
                continue
            rle = read.rle(value, f"masklet[{i}][{j}]", target=target)
            score = score_row[j] if score_row is not None else None
            objects[j].frames.append(ImportedFrame(frame, rle, score))
    return ImportedFile(objects=objects, environment=environment, split=split)


def _same_size(read: FieldReader, doc: dict[str, Any], key: str, expected: int) -> None:
    value = read.whole(doc[key], key, minimum=1)
    if value != expected:
        read.fail(key, f"is {value}, the video's is {expected}.", video=expected)


def _video_fields(read: FieldReader, doc: dict[str, Any]) -> tuple[str, str]:
    """(environment, split) as the file states them, "" where it does not; the other video
    fields are only checked for their types."""
    if doc.get("video_id") is not None:
        read.text(doc["video_id"], "video_id")
    for key in ("video_duration", "video_resolution"):
        if doc.get(key) is not None:
            read.number(doc[key], key, minimum=0)
    environment = doc.get("video_environment")
    # The README types it List[str]; the released files hold one string.
    if isinstance(environment, list) and len(environment) <= 1:
        environment = environment[0] if environment else None
    environment = (
        read.text(environment, "video_environment", choices=(*ENVIRONMENTS, ""))
        if environment is not None
        else ""
    )
    split = doc.get("video_split")
    split = read.text(split, "video_split", max_length=64) if split is not None else ""
    return environment, split


def _timeline(read: FieldReader, doc: dict[str, Any], target: TargetVideo) -> Sequence[int]:
    """The video frames the file's 24 fps frames are: the video's own frames, or their
    24 fps resampling when video_frame_count says the file counts those."""
    native = range(target.frame_count)
    if doc.get("video_frame_count") is None:
        return native
    declared = read.whole(doc["video_frame_count"], "video_frame_count", minimum=1)
    if declared == target.frame_count:
        return native
    resampled = timeline_24fps(target.frame_count, target.fps)
    if not is_24fps(target.fps) and declared == len(resampled):
        return resampled
    at_24 = "" if is_24fps(target.fps) else f" ({len(resampled)} at 24 fps)"
    raise FormatError(
        f"{read.name}: video_frame_count is {declared}, the video's is "
        f"{target.frame_count}{at_24}.",
        extra={"file": read.name, "field": "video_frame_count", "video": target.frame_count},
    )


def _frame_step(annotated: int, frame_count: int, name: str) -> int:
    """The step s with len(range(0, frame_count, s)) == annotated (483 frames annotated
    every 4th give 121 rows)."""
    if annotated <= frame_count:
        for step in range(1, frame_count + 1):
            if math.ceil(frame_count / step) == annotated:
                return step
    raise FormatError(
        f"{name}: {annotated} annotated frames do not fit the video's {frame_count} frames "
        "at any regular step.",
        extra={"file": name, "annotated_frames": annotated, "frame_count": frame_count},
    )


class _ObjectFields:
    """The per-object lists (one value per masklet), each checked element by element."""

    OTHERS: dict[str, Callable[[FieldReader, Any, str], Any]] = {
        "masklet_size_rel": lambda r, v, f: r.number(v, f, minimum=0),
        "masklet_size_abs": lambda r, v, f: r.number(v, f, minimum=0),
        "masklet_size_bucket": lambda r, v, f: r.text(v, f, choices=SIZE_BUCKETS),
        "masklet_visibility_changes": lambda r, v, f: r.whole(v, f),
        "masklet_first_appeared_frame": lambda r, v, f: None if v is None else r.whole(v, f),
        "masklet_frame_count": lambda r, v, f: r.whole(v, f),
    }

    def __init__(self, read: FieldReader, doc: dict[str, Any], count: int) -> None:
        self.read, self.doc, self.count = read, doc, count

    def get(self, key: str, check: Callable[[Any, str], Any]) -> list[Any] | None:
        """The checked list, or None when the file leaves the field out (or null)."""
        value = self.doc.get(key)
        if value is None:
            return None
        self.read.array(value, key, length=self.count)
        return [check(item, f"{key}[{j}]") for j, item in enumerate(value)]

    def check_others(self) -> None:
        for key, check in self.OTHERS.items():
            self.get(key, functools.partial(check, self.read))


def _stability_scores(
    read: FieldReader, value: Any, rows: int, count: int
) -> list[list[float | None] | None] | None:
    """Per annotated frame and object (auto files), or None: absent, or one null per
    object as manual files have it."""
    key = "masklet_stability_score"
    if value is None:
        return None
    read.array(value, key)
    if len(value) == count and all(v is None for v in value):
        return None
    read.array(value, key, length=rows)
    scores: list[list[float | None] | None] = []
    for i, row in enumerate(value):
        if row is None:
            scores.append(None)
            continue
        read.array(row, f"{key}[{i}]", length=count)
        scores.append(
            [
                None if v is None else read.number(v, f"{key}[{i}][{j}]", minimum=0, maximum=1)
                for j, v in enumerate(row)
            ]
        )
    return scores


# ---- val/test layout ------------------------------------------------------------------


def parse_val_zip(
    zf: zipfile.ZipFile, *, target: TargetVideo, source_video: str | None, limits: ZipLimits
) -> ImportedFile:
    """One object per {object} folder of the chosen video; each binary PNG is its mask on
    24 fps frame {frame}. `source_video` names the video folder (its path inside the zip,
    or a base name no other folder has)."""
    videos: dict[str, dict[str, list[zipfile.ZipInfo]]] = defaultdict(lambda: defaultdict(list))
    for info in safe_entries(zf, limits):
        parts = entry_parts(info)
        if (
            len(parts) >= 4
            and parts[-4] == "Annotations_6fps"
            and parts[-1].lower().endswith(".png")
            and not parts[-1].startswith(".")
        ):
            videos["/".join(parts[:-2])][parts[-2]].append(info)
    if not videos:
        raise FormatError(
            "The zip holds no SA-V masks (Annotations_6fps/{video}/{object}/{frame}.png)."
        )
    folder = choose_folder(videos, source_video)
    timeline = timeline_24fps(target.frame_count, target.fps)
    objects = []
    for object_name, infos in sorted(videos[folder].items()):
        obj = ImportedObject(
            source_object_id=object_name[:64], attributes={"video": posixpath.basename(folder)}
        )
        numbered: dict[int, zipfile.ZipInfo] = {}
        for info in infos:
            stem = posixpath.splitext(posixpath.basename(info.filename))[0]
            k = frame_number(stem, name=info.filename, frame_count=len(timeline))
            if k in numbered:
                raise FormatError(
                    f"{info.filename}: frame {k} is given twice.", extra={"file": info.filename}
                )
            numbered[k] = info
        for k, info in sorted(numbered.items()):
            name = info.filename
            if obj.frames and obj.frames[-1].frame_index == timeline[k]:
                continue  # a video under 24 fps shows one frame at two 24 fps times
            indices = read_png_indices(read_entry(zf, info, limits), name=name, target=target)
            values = np.unique(indices)
            if values.size > 2:
                raise FormatError(
                    f"{name} holds {values.size} values; an SA-V mask is binary, one object "
                    "per file.",
                    extra={"file": name},
                )
            obj.frames.append(ImportedFrame(timeline[k], rle_codec.encode(indices > 0)))
        objects.append(obj)
    return ImportedFile(objects=objects)
