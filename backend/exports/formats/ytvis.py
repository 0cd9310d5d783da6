"""YouTube-VIS (COCO video) layout.

    JPEGImages/{video}/{frame:05d}.jpg   the exported frames (0, step, 2*step, ...)
    instances.json                       {"info", "licenses", "videos", "annotations", "categories"}

videos[i].file_names lists the exported frames; each annotation (one masklet) has per-frame
lists `segmentations` (COCO compressed RLE), `bboxes` ([x, y, w, h]) and `areas`, aligned with
file_names, null where the object is absent. Categories are the project's labels (ids 1..K in
name order) plus "unlabeled" when a masklet has no label.
"""

import posixpath
from collections.abc import Callable, Iterator
from typing import IO, Any

from backend.exports.formats.archive import json_dump, load_json, open_text, write_bytes
from backend.exports.formats.base import (
    UNLABELED,
    ExportLog,
    ExportSource,
    ExportWarning,
    FormatError,
    FrameMask,
    ImportedFile,
    ImportedFrame,
    ImportedObject,
    ProgressFn,
    TargetVideo,
    exported_frames,
)
from backend.exports.formats.checks import FieldReader
from backend.exports.zipwriter import ZipWriter


def write(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> list[ExportWarning]:
    """Every mask is kept as it is (per-object RLE): nothing to warn about."""
    videos = max(source.video_count(), 1)
    category_ids = {name: i for i, name in enumerate(source.label_names(), start=1)}
    unlabeled_used = False
    # Frames first: a zip takes one open entry at a time, and the JSON is streamed into one.
    # Progress: the first half for frames, the second for annotations.
    for v, video in enumerate(source.videos()):
        frames = exported_frames(video, source.frame_step)
        for done, i in enumerate(frames):
            jpeg = source.frame_jpeg(video, i)
            write_bytes(zf, f"JPEGImages/{video.key}/{i:05d}.jpg", jpeg, compress=False)
            if done % 64 == 0:
                report(0.5 * (v + done / len(frames)) / videos)
    with open_text(zf, "instances.json") as out:
        out.write('{"info":{"description":"Exported video masklets","version":"1.0"},')
        out.write('"licenses":[],"videos":[')
        for v, video in enumerate(source.videos()):
            frames = exported_frames(video, source.frame_step)
            entry = {
                "id": video.id,
                "name": video.key,
                "width": video.width,
                "height": video.height,
                "length": len(frames),
            }
            out.write(("," if v else "") + json_dump(entry)[:-1] + ',"file_names":[')
            for position, i in enumerate(frames):  # one name at a time: flat in frames
                out.write(("," if position else "") + f'"{video.key}/{i:05d}.jpg"')
            out.write("]}")
        out.write('],"annotations":[')
        annotation_id = 0
        for v, video in enumerate(source.videos()):
            frames = exported_frames(video, source.frame_step)
            for masklet in source.masklets(video):
                unlabeled_used |= masklet.label is None
                annotation_id += 1
                head = {
                    "id": annotation_id,
                    "video_id": video.id,
                    "category_id": (
                        category_ids.get(masklet.label) if masklet.label else len(category_ids) + 1
                    ),
                    "iscrowd": 0,
                    "width": video.width,
                    "height": video.height,
                    "length": len(frames),
                }
                out.write(("," if annotation_id > 1 else "") + json_dump(head)[:-1])
                # Three streamed passes, one per list, so memory stays flat in frames.
                for key, pick in (
                    ("segmentations", lambda row: row.rle),
                    ("bboxes", lambda row: row.bbox),
                    ("areas", lambda row: row.area),
                ):
                    out.write(f',"{key}":[')
                    rows = source.frames(
                        video, [masklet.id], order="masklet", step=source.frame_step
                    )
                    _write_per_frame(out, rows, frames, pick)
                    out.write("]")
                out.write("}")
            report(0.5 + 0.5 * (v + 1) / videos)
        categories = [
            {"id": i, "name": name, "supercategory": "object"} for name, i in category_ids.items()
        ]
        if unlabeled_used:
            categories.append(
                {"id": len(category_ids) + 1, "name": UNLABELED, "supercategory": "object"}
            )
        out.write('],"categories":' + json_dump(categories) + "}")
    return ExportLog().finish(zf)


def _write_per_frame(
    out: IO[str], rows: Iterator[FrameMask], frames: range, pick: Callable[[FrameMask], Any]
) -> None:
    """One JSON value per exported frame, null where the object has no visible mask."""
    row = next(rows, None)
    for position, frame_index in enumerate(frames):
        while row is not None and row.frame_index < frame_index:
            row = next(rows, None)
        visible = row is not None and row.frame_index == frame_index and row.area > 0
        out.write(("," if position else "") + (json_dump(pick(row)) if visible else "null"))


def parse(data: bytes, *, name: str, target: TargetVideo, source_video: str | None) -> ImportedFile:
    """A YouTube-VIS JSON -> the objects of one of its videos.

    Frame positions map to the video's frames by the numbers in file_names (as this module
    writes them); without numbers, a video listing every frame maps one to one. Every field
    read is type-checked: ids are whole numbers, names text, scores numbers in [0, 1].
    """
    doc = load_json(data, name=name)
    if not isinstance(doc, dict) or not all(
        isinstance(doc.get(k), list) for k in ("videos", "annotations", "categories")
    ):
        raise FormatError(
            f"{name}: a YouTube-VIS file has videos, annotations and categories lists."
        )
    read = FieldReader(name)
    video_id, video = _pick_video(read, doc["videos"], source_video=source_video)
    frames = _frame_indices(read, video, target=target)
    categories = _categories(read, doc["categories"])
    objects = []
    for a, value in enumerate(doc["annotations"]):
        where = f"annotations[{a}]"
        annotation = read.mapping(value, where)
        owner = read.whole(
            annotation.get("video_id"), f"{where}.video_id", minimum=None, floats=False
        )
        if owner != video_id:
            continue
        objects.append(_annotation(read, annotation, where, frames, categories, target, video))
    return ImportedFile(objects=objects)


def _annotation(
    read: FieldReader,
    annotation: dict[str, Any],
    where: str,
    frames: list[int],
    categories: dict[int, str],
    target: TargetVideo,
    video: dict[str, Any],
) -> ImportedObject:
    annotation_id = read.whole(annotation.get("id"), f"{where}.id", minimum=None, floats=False)
    category_id = read.whole(
        annotation.get("category_id"), f"{where}.category_id", minimum=None, floats=False
    )
    if category_id not in categories:
        read.fail(f"{where}.category_id", f"is {category_id}, which is not among the categories.")
    segmentations = read.array(annotation.get("segmentations"), f"{where}.segmentations")
    if len(segmentations) != len(frames):
        read.fail(
            f"{where}.segmentations",
            f"must list one entry per frame of the video ({len(frames)}), not "
            f"{len(segmentations)}.",
        )
    for key, check in (
        ("bboxes", lambda v, f: read.array(v, f, length=4) and [read.number(x, f) for x in v]),
        ("areas", lambda v, f: read.number(v, f, minimum=0)),
    ):
        if annotation.get(key) is not None:
            per_frame = read.array(annotation[key], f"{where}.{key}", length=len(frames))
            for i, item in enumerate(per_frame):
                if item is not None:
                    check(item, f"{where}.{key}[{i}]")
    if annotation.get("iscrowd") is not None:
        read.whole(annotation["iscrowd"], f"{where}.iscrowd", maximum=1, floats=False)
    score = annotation.get("score")
    if score is not None:
        score = read.number(score, f"{where}.score", minimum=0, maximum=1)
    label = categories[category_id]
    obj = ImportedObject(
        source_object_id=str(annotation_id),
        label=None if label == UNLABELED else label,
        attributes={"video": video.get("name") or video.get("id")},
    )
    for position, segmentation in enumerate(segmentations):
        if segmentation is None:
            continue
        rle = read.rle(segmentation, f"{where}.segmentations[{position}]", target=target)
        obj.frames.append(ImportedFrame(frames[position], rle, score))
    return obj


def _categories(read: FieldReader, values: list[Any]) -> dict[int, str]:
    categories: dict[int, str] = {}
    for c, value in enumerate(values):
        category = read.mapping(value, f"categories[{c}]")
        category_id = read.whole(
            category.get("id"), f"categories[{c}].id", minimum=None, floats=False
        )
        if category_id in categories:
            read.fail(f"categories[{c}].id", f"repeats the id {category_id}.")
        categories[category_id] = read.text(category.get("name"), f"categories[{c}].name")
    return categories


def _pick_video(
    read: FieldReader, videos: list[Any], *, source_video: str | None
) -> tuple[int, dict[str, Any]]:
    checked = []
    for v, value in enumerate(videos):
        video = read.mapping(value, f"videos[{v}]")
        video_id = read.whole(video.get("id"), f"videos[{v}].id", minimum=None, floats=False)
        if video.get("name") is not None:
            read.text(video["name"], f"videos[{v}].name")
        checked.append((video_id, video))
    if source_video is not None:
        chosen = [(i, v) for i, v in checked if source_video in (str(i), v.get("name"))]
        if not chosen:
            raise FormatError(f"{read.name}: no video with id or name {source_video!r}.")
        if len(chosen) > 1:
            raise FormatError(
                f"{read.name}: {len(chosen)} videos have the id or name {source_video!r}."
            )
        return chosen[0]
    if len(checked) != 1:
        raise FormatError(
            f"{read.name} holds {len(checked)} videos; name the one to import (source_video)."
        )
    return checked[0]


def _frame_indices(read: FieldReader, video: dict[str, Any], *, target: TargetVideo) -> list[int]:
    width = read.whole(video.get("width"), "video width", minimum=1)
    height = read.whole(video.get("height"), "video height", minimum=1)
    if (width, height) != (target.width, target.height):
        raise FormatError(
            f"{read.name}: the video is {width}x{height}, this one {target.width}x{target.height}.",
        )
    file_names = read.array(video.get("file_names"), "file_names")
    if not file_names:
        read.fail("file_names", "must list the video's frames.")
    stems = [
        posixpath.splitext(posixpath.basename(read.text(f, f"file_names[{i}]", max_length=1024)))[0]
        for i, f in enumerate(file_names)
    ]
    if video.get("length") is not None:
        read.whole(video["length"], "length")
    if all(s.isascii() and s.isdigit() and len(s) <= 9 for s in stems):
        indices = [int(s) for s in stems]
    elif len(file_names) == target.frame_count:
        indices = list(range(target.frame_count))
    else:
        raise FormatError(
            f"{read.name}: file names are not frame numbers and the video lists "
            f"{len(file_names)} frames, not the {target.frame_count} of this video."
        )
    if len(set(indices)) != len(indices) or max(indices) >= target.frame_count:
        raise FormatError(
            f"{read.name}: file_names must be distinct frames below {target.frame_count}."
        )
    return indices
