"""SA-V (Segment Anything Video) layouts.

Training layout, as the SA-V README defines it: per video `sav_train/{video}_manual.json` and
`sav_train/{video}_auto.json`, plus the frames in `JPEGImages_24fps/{video}/{frame:05d}.jpg`
(the folder SAM 2's training loader reads). `masklet` is a list over annotated frames
(0, step, 2*step, ...) of a list over objects of COCO compressed RLE. Per-object fields, as
measured on the SA-V sample: size_abs is the mean area over annotated frames where the object
is visible, size_rel that over height*width, visibility_changes counts visible<->invisible
switches after the first appearance, first_appeared_frame is an index into the annotated
frames (null if the object is never visible), frame_count the number of annotated frames,
edited_frame_count the annotated frames a person made or edited (origin click/edited, plus
the count an SA-V import brought), video_environment comes from an SA-V import ("" when
unknown) and video_split likewise ("train" by default); stability_score is per annotated frame
and object for auto masklets and one null per object for manual ones.

Val/test layout: `JPEGImages_24fps/{video}/{frame:05d}.jpg` and
`Annotations_6fps/{video}/{object:03d}/{frame:05d}.png`, one 0/255 PNG per object and
annotated frame (empty where the object is not visible).
"""

import math
from dataclasses import dataclass
from typing import Any

from backend.exports.formats.base import (
    HUMAN_ORIGINS,
    MEDIUM_MAX_AREA,
    SMALL_MAX_AREA,
    ExportMasklet,
    ExportSource,
    ExportVideo,
    FormatError,
    ImportedFrame,
    ImportedObject,
    ProgressFn,
    TargetVideo,
    VideoProgress,
    check_rle,
    empty_rle,
    exported_frames,
    gray_png,
    json_dump,
    load_json,
    mask_from_rle,
    open_text,
    rows_by_frame,
    write_bytes,
)
from backend.exports.zipwriter import ZipWriter

MASKLET_TYPES = ("manual", "auto")
VIDEO_FIELDS = (
    "video_id",
    "video_duration",
    "video_frame_count",
    "video_height",
    "video_width",
    "video_resolution",
    "video_environment",
    "video_split",
)
MASKLET_FIELDS = (
    "masklet_id",
    "masklet_size_rel",
    "masklet_size_abs",
    "masklet_size_bucket",
    "masklet_visibility_changes",
    "masklet_first_appeared_frame",
    "masklet_frame_count",
    "masklet_edited_frame_count",
    "masklet_type",
    "masklet_stability_score",
    "masklet_num",
)


def size_bucket(area: float) -> str:
    if area < SMALL_MAX_AREA:
        return "small"
    return "medium" if area < MEDIUM_MAX_AREA else "large"


# ---- export ---------------------------------------------------------------------------


def write_frames_24fps(zf: ZipWriter, source: ExportSource, video: ExportVideo) -> None:
    for index in range(video.frame_count):
        name = f"JPEGImages_24fps/{video.key}/{index:05d}.jpg"
        write_bytes(zf, name, source.frame_jpeg(video, index), compress=False)


def write_training(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> None:
    progress = VideoProgress(report, source.video_count())
    for video in source.videos():
        masklets = source.masklets(video)
        for kind in MASKLET_TYPES:
            group = [m for m in masklets if m.source == kind]
            if group:
                _write_video_json(zf, source, video, group, kind)
        progress.within(0.5)
        write_frames_24fps(zf, source, video)
        progress.video_done()


@dataclass
class _ObjectStats:
    visible_area_sum: float = 0.0
    visible_frames: int = 0
    first_appeared: int | None = None
    last_visible: bool = False
    changes: int = 0
    edited: int = 0

    def add(self, annotated_index: int, area: int, origin: str | None) -> None:
        visible = area > 0
        if visible:
            self.visible_area_sum += area
            self.visible_frames += 1
            if self.first_appeared is None:
                self.first_appeared = annotated_index
        if self.first_appeared is not None and annotated_index > self.first_appeared:
            self.changes += visible != self.last_visible
        self.last_visible = visible
        self.edited += origin in HUMAN_ORIGINS


def _write_video_json(
    zf: ZipWriter,
    source: ExportSource,
    video: ExportVideo,
    group: list[ExportMasklet],
    kind: str,
) -> None:
    empty = json_dump(empty_rle(video.height, video.width))
    stats = [_ObjectStats() for _ in group]
    with open_text(zf, f"sav_train/{video.key}_{kind}.json") as out:
        head = {
            "video_id": video.key,
            "video_duration": video.duration,
            "video_frame_count": float(video.frame_count),
            "video_height": float(video.height),
            "video_width": float(video.width),
            "video_resolution": float(video.height * video.width),
            "video_environment": video.environment,
            "video_split": video.split,
        }
        out.write(json_dump(head)[:-1] + ',"masklet":[')
        for annotated, (_, found) in enumerate(rows_by_frame(source, video, group)):
            cells = []
            for position, masklet in enumerate(group):
                row = found.get(masklet.id)
                cells.append(json_dump(row.rle) if row else empty)
                stats[position].add(annotated, row.area if row else 0, row.origin if row else None)
            out.write(("," if annotated else "") + "[" + ",".join(cells) + "]")
        annotated_count = len(exported_frames(video, source.frame_step))
        size_abs = [
            s.visible_area_sum / s.visible_frames if s.visible_frames else 0.0 for s in stats
        ]
        tail: dict[str, Any] = {
            "masklet_id": list(range(len(group))),
            "masklet_size_rel": [a / (video.height * video.width) for a in size_abs],
            "masklet_size_abs": size_abs,
            "masklet_size_bucket": [size_bucket(a) for a in size_abs],
            "masklet_visibility_changes": [s.changes for s in stats],
            "masklet_first_appeared_frame": [s.first_appeared for s in stats],
            "masklet_frame_count": [annotated_count] * len(group),
            "masklet_edited_frame_count": [
                s.edited + m.imported_edited_frames for s, m in zip(stats, group, strict=True)
            ],
            "masklet_type": [kind] * len(group),
        }
        out.write("]," + json_dump(tail)[1:-1] + ',"masklet_stability_score":')
        if kind == "auto":
            # Per annotated frame and object; a second pass keeps memory flat in frames.
            out.write("[")
            for annotated, (_, found) in enumerate(rows_by_frame(source, video, group)):
                scores = [found[m.id].score if m.id in found else None for m in group]
                out.write(("," if annotated else "") + json_dump(scores))
            out.write("]")
        else:
            out.write(json_dump([None] * len(group)))
        out.write(f',"masklet_num":{len(group)}}}')


def write_val(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> None:
    progress = VideoProgress(report, source.video_count())
    for video in source.videos():
        group = source.masklets(video)
        total = max(len(exported_frames(video, source.frame_step)), 1)
        empty_png: bytes | None = None
        for done, (frame_index, found) in enumerate(rows_by_frame(source, video, group)):
            for position, masklet in enumerate(group):
                row = found.get(masklet.id)
                if row is None or row.area == 0:
                    if empty_png is None:
                        empty_png = gray_png(mask_from_rle(empty_rle(video.height, video.width)))
                    png = empty_png
                else:
                    # Painted from the RLE's runs, already 0/255: no full decode, no rescale.
                    png = gray_png(mask_from_rle(row.rle, value=255))
                name = f"Annotations_6fps/{video.key}/{position:03d}/{frame_index:05d}.png"
                write_bytes(zf, name, png, compress=False)
            if done % 16 == 0:
                progress.within(0.5 * done / total)
        write_frames_24fps(zf, source, video)
        progress.video_done()


# ---- import ---------------------------------------------------------------------------


def parse(data: bytes, *, name: str, target: TargetVideo) -> tuple[list[ImportedObject], int]:
    """An SA-V training JSON -> objects on the video's frames, and the frame step used.

    The annotated frames 0, step, 2*step, ... must cover the video exactly as SA-V's do
    (483 frames annotated every 4th give 121 annotated frames).
    """
    doc = load_json(data, name=name)
    if not isinstance(doc, dict):
        raise FormatError(f"{name}: an SA-V file is a JSON object.")
    missing = [k for k in ("masklet", "masklet_num", "video_height", "video_width") if k not in doc]
    if missing:
        raise FormatError(f"{name}: missing SA-V fields {', '.join(missing)}.")
    _check_video_field(doc, "video_height", target.height, name)
    _check_video_field(doc, "video_width", target.width, name)
    if "video_frame_count" in doc:
        _check_video_field(doc, "video_frame_count", target.frame_count, name)
    count = doc["masklet_num"]
    frames = doc["masklet"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise FormatError(f"{name}: masklet_num must be a non-negative integer.")
    if not isinstance(frames, list) or not frames:
        raise FormatError(f"{name}: masklet must be a non-empty list over annotated frames.")
    step = _frame_step(len(frames), target.frame_count, name)
    kinds = _per_object(doc, "masklet_type", count, name, default="manual")
    edited = _per_object(doc, "masklet_edited_frame_count", count, name, default=0)
    ids = _per_object(doc, "masklet_id", count, name, default=None)
    scores = doc.get("masklet_stability_score")
    objects = [
        ImportedObject(
            source_object_id=str(ids[j] if ids[j] is not None else j),
            source=kinds[j] if kinds[j] in MASKLET_TYPES else "manual",
            attributes={
                "masklet_edited_frame_count": edited[j] if isinstance(edited[j], int) else 0,
                "video_id": doc.get("video_id", ""),
                "video_environment": doc.get("video_environment", ""),
                "video_split": doc.get("video_split", ""),
            },
        )
        for j in range(count)
    ]
    for i, row in enumerate(frames):
        if not isinstance(row, list) or len(row) != count:
            raise FormatError(
                f"{name}: masklet[{i}] must list {count} RLEs (masklet_num).",
                extra={"frame": i},
            )
        score_row = _score_row(scores, i, count)
        for j, value in enumerate(row):
            rle = check_rle(value, target=target, where=f"{name}: masklet[{i}][{j}]")
            objects[j].frames.append(ImportedFrame(i * step, rle, score_row[j]))
    return objects, step


def _check_video_field(doc: dict[str, Any], key: str, expected: int, name: str) -> None:
    value = doc[key]
    if not isinstance(value, int | float) or isinstance(value, bool) or value != expected:
        raise FormatError(
            f"{name}: {key} is {value}, the video's is {expected}.",
            extra={"field": key, "file": value, "video": expected},
        )


def _frame_step(annotated: int, frame_count: int, name: str) -> int:
    """The step s with len(range(0, frame_count, s)) == annotated."""
    for step in range(1, frame_count + 1):
        if math.ceil(frame_count / step) == annotated:
            return step
    raise FormatError(
        f"{name}: {annotated} annotated frames do not fit the video's {frame_count} frames "
        "at any regular step.",
        extra={"annotated_frames": annotated, "frame_count": frame_count},
    )


def _per_object(doc: dict[str, Any], key: str, count: int, name: str, default: Any) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return [default] * count
    if not isinstance(value, list) or len(value) != count:
        raise FormatError(f"{name}: {key} must list one value per masklet ({count}).")
    return value


def _score_row(scores: Any, frame: int, count: int) -> list[float | None]:
    """Stability scores of one annotated frame: auto files have [frame][object] numbers."""
    if isinstance(scores, list) and frame < len(scores) and isinstance(scores[frame], list):
        row = scores[frame]
        if len(row) == count:
            return [float(v) if isinstance(v, int | float) else None for v in row]
    return [None] * count
