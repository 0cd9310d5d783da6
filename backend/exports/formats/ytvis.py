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

from backend.exports.formats.base import (
    ExportSource,
    FormatError,
    FrameMask,
    ImportedFrame,
    ImportedObject,
    ProgressFn,
    TargetVideo,
    check_rle,
    exported_frames,
    json_dump,
    load_json,
    open_text,
    write_bytes,
)
from backend.exports.zipwriter import ZipWriter

UNLABELED = "unlabeled"


def write(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> None:
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
                    rows = source.frames(video, [masklet.id], order="masklet")
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


def parse(
    data: bytes, *, name: str, target: TargetVideo, source_video: str | None
) -> list[ImportedObject]:
    """A YouTube-VIS JSON -> the objects of one of its videos.

    Frame positions map to the video's frames by the numbers in file_names (as this module
    writes them); without numbers, a video listing every frame maps one to one.
    """
    doc = load_json(data, name=name)
    if not isinstance(doc, dict) or not all(
        isinstance(doc.get(k), list) for k in ("videos", "annotations", "categories")
    ):
        raise FormatError(
            f"{name}: a YouTube-VIS file has videos, annotations and categories lists."
        )
    video = _pick_video(doc["videos"], name=name, source_video=source_video)
    frames = _frame_indices(video, name=name, target=target)
    categories = {}
    for category in doc["categories"]:
        if not isinstance(category, dict) or "id" not in category or "name" not in category:
            raise FormatError(f"{name}: each category needs an id and a name.")
        categories[category["id"]] = str(category["name"])
    objects = []
    for annotation in doc["annotations"]:
        if not isinstance(annotation, dict):
            raise FormatError(f"{name}: each annotation must be an object.")
        if annotation.get("video_id") != video.get("id"):
            continue
        where = f"{name}: annotation {annotation.get('id')}"
        segmentations = annotation.get("segmentations")
        if not isinstance(segmentations, list) or len(segmentations) != len(frames):
            raise FormatError(
                f"{where}: segmentations must list one entry per frame of the video "
                f"({len(frames)})."
            )
        category_id = annotation.get("category_id")
        if category_id not in categories:
            raise FormatError(f"{where}: category_id {category_id} is not among the categories.")
        label = categories[category_id]
        obj = ImportedObject(
            source_object_id=str(annotation.get("id")),
            label=None if label == UNLABELED else label,
            attributes={"video": video.get("name") or video.get("id")},
        )
        score = annotation.get("score")
        for position, segmentation in enumerate(segmentations):
            if segmentation is None:
                continue
            rle = check_rle(segmentation, target=target, where=f"{where} frame {position}")
            obj.frames.append(
                ImportedFrame(frames[position], rle, score if isinstance(score, float) else None)
            )
        objects.append(obj)
    return objects


def _pick_video(videos: list[Any], *, name: str, source_video: str | None) -> dict[str, Any]:
    if source_video is not None:
        chosen = [
            v
            for v in videos
            if isinstance(v, dict) and source_video in (str(v.get("id")), v.get("name"))
        ]
        if not chosen:
            raise FormatError(f"{name}: no video with id or name {source_video!r}.")
        return chosen[0]
    if len(videos) != 1 or not isinstance(videos[0], dict):
        raise FormatError(
            f"{name} holds {len(videos)} videos; name the one to import (source_video)."
        )
    return videos[0]


def _frame_indices(video: dict[str, Any], *, name: str, target: TargetVideo) -> list[int]:
    if video.get("width") != target.width or video.get("height") != target.height:
        raise FormatError(
            f"{name}: the video is {video.get('width')}x{video.get('height')}, "
            f"this one {target.width}x{target.height}.",
        )
    file_names = video.get("file_names")
    if not isinstance(file_names, list) or not file_names:
        raise FormatError(f"{name}: the video needs a non-empty file_names list.")
    stems = [posixpath.splitext(posixpath.basename(str(f)))[0] for f in file_names]
    if all(s.isdigit() for s in stems):
        indices = [int(s) for s in stems]
    elif len(file_names) == target.frame_count:
        indices = list(range(target.frame_count))
    else:
        raise FormatError(
            f"{name}: file names are not frame numbers and the video lists {len(file_names)} "
            f"frames, not the {target.frame_count} of this video."
        )
    if len(set(indices)) != len(indices) or max(indices) >= target.frame_count:
        raise FormatError(f"{name}: file_names must be distinct frames below {target.frame_count}.")
    return indices
