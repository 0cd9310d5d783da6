"""DAVIS 2017 / YouTube-VOS layout: one indexed-palette PNG per annotated frame.

    JPEGImages/{video}/{frame:05d}.jpg     the exported frames (0, step, 2*step, ...)
    Annotations/{video}/{frame:05d}.png    palette PNG: 0 background, k the k-th masklet
    ImageSets/all.txt                      one video per line (DAVIS ImageSets)
    meta.json                              YouTube-VOS: videos -> objects -> category, frames

Files are named by the video's frame number, as YouTube-VOS does for its sparse
annotations. Object k (1-based) is the k-th exported masklet of the video in id order,
so at most 255 per video.

Overlaps: a palette PNG has one object per pixel, so where masks overlap the object with
the smaller index (the older masklet) wins, the rule SAM 2's vos_inference uses when it
merges per-object masks. Every object's own mask stays exact in the RLE formats.
"""

import posixpath
import zipfile
from collections import defaultdict

import numpy as np

from backend.common import rle as rle_codec
from backend.exports.formats.base import (
    ExportSource,
    FormatError,
    ImportedFrame,
    ImportedObject,
    ProgressFn,
    TargetVideo,
    VideoProgress,
    ZipLimits,
    compose_indices,
    entry_parts,
    exported_frames,
    frame_number,
    indexed_png,
    json_dump,
    load_json,
    open_text,
    read_entry,
    read_png_indices,
    rows_by_frame,
    safe_entries,
    write_bytes,
)
from backend.exports.zipwriter import ZipWriter

MAX_OBJECTS = 255


def write(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> None:
    progress = VideoProgress(report, source.video_count())
    keys: list[str] = []
    for video in source.videos():
        keys.append(video.key)
        group = source.masklets(video)
        if len(group) > MAX_OBJECTS:
            raise FormatError(
                f"Video {video.key} has {len(group)} masklets; a palette PNG holds "
                f"at most {MAX_OBJECTS} objects."
            )
        total = max(len(exported_frames(video, source.frame_step)), 1)
        for done, (frame_index, found) in enumerate(rows_by_frame(source, video, group)):
            # Painted from each RLE's runs; no object is decoded to a full mask.
            rles = [found[m.id].rle if m.id in found and found[m.id].area else None for m in group]
            png = indexed_png(compose_indices(rles, video.height, video.width))
            write_bytes(zf, f"Annotations/{video.key}/{frame_index:05d}.png", png, compress=False)
            jpeg = source.frame_jpeg(video, frame_index)
            write_bytes(zf, f"JPEGImages/{video.key}/{frame_index:05d}.jpg", jpeg, compress=False)
            if done % 16 == 0:
                progress.within(0.9 * done / total)
        progress.video_done()
    index = "".join(f"{key}\n" for key in keys).encode()
    write_bytes(zf, "ImageSets/all.txt", index, compress=True)
    _write_meta(zf, source)


def _write_meta(zf: ZipWriter, source: ExportSource) -> None:
    """YouTube-VOS meta.json, streamed: the frames where each object is visible."""
    with open_text(zf, "meta.json") as out:
        out.write('{"videos":{')
        for v, video in enumerate(source.videos()):
            group = source.masklets(video)
            position = {m.id: k for k, m in enumerate(group, start=1)}
            out.write(("," if v else "") + json_dump(video.key) + ':{"objects":{')
            rows = source.frames(video, list(position), order="masklet")
            current: int | None = None
            for row in rows:
                if row.masklet_id != current:
                    if current is not None:
                        out.write("]}")
                    out.write(
                        ("," if current is not None else "") + f'"{position[row.masklet_id]}":'
                    )
                    label = group[position[row.masklet_id] - 1].label
                    out.write('{"category":' + json_dump(label) + ',"frames":[')
                    current, first = row.masklet_id, True
                if row.area:
                    out.write(("" if first else ",") + f'"{row.frame_index:05d}"')
                    first = False
            if current is not None:
                out.write("]}")
            out.write("}}")
        out.write("}}")


def parse_zip(
    zf: zipfile.ZipFile,
    *,
    target: TargetVideo,
    source_video: str | None,
    limits: ZipLimits,
) -> list[ImportedObject]:
    """Palette PNGs of one video -> one object per palette index seen.

    The PNGs are `{frame}.png` files in one folder (e.g. Annotations/{video}/); with several
    video folders, `source_video` names the one to import. A YouTube-VOS meta.json, when
    present, gives each object's category.
    """
    entries = safe_entries(zf, limits)
    folders: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
    meta_entry = None
    for info in entries:
        parts = entry_parts(info)
        if parts[-1] == "meta.json":
            meta_entry = info
        elif parts[-1].lower().endswith(".png") and not parts[-1].startswith("."):
            folders["/".join(parts[:-1])].append(info)
    if not folders:
        raise FormatError("The zip holds no annotation PNGs.")
    if source_video is not None:
        chosen = [f for f in folders if posixpath.basename(f) == source_video]
        if not chosen:
            raise FormatError(
                f"The zip has no PNG folder named {source_video!r}.",
                extra={"folders": sorted(folders)[:20]},
            )
        folder = chosen[0]
    elif len(folders) == 1:
        folder = next(iter(folders))
    else:
        raise FormatError(
            "The zip holds several videos; name the one to import (source_video).",
            extra={"folders": sorted(folders)[:20]},
        )
    video_key = posixpath.basename(folder)
    categories = _categories(zf, meta_entry, video_key, limits) if meta_entry else {}

    # Masks are encoded frame by frame, so memory holds RLEs, never a stack of images.
    per_object: dict[int, dict[int, rle_codec.Rle]] = defaultdict(dict)
    frame_indices: list[int] = []
    for info in sorted(folders[folder], key=lambda i: i.filename):
        name = info.filename
        index = frame_number(
            posixpath.splitext(posixpath.basename(name))[0], name=name, target=target
        )
        if index in frame_indices:
            raise FormatError(f"{name}: frame {index} is given twice.")
        frame_indices.append(index)
        indices = read_png_indices(read_entry(zf, info, limits), name=name, target=target)
        for value in np.unique(indices):
            if value:
                per_object[int(value)][index] = rle_codec.encode(indices == value)
    empty = rle_codec.encode(np.zeros((target.height, target.width), np.uint8))
    objects = []
    for value in sorted(per_object):
        seen = per_object[value]
        first = min(seen)
        # An object is annotated (visible or not) on every annotated frame from its first.
        frames = [
            ImportedFrame(index, seen.get(index, empty))
            for index in sorted(frame_indices)
            if index >= first
        ]
        objects.append(
            ImportedObject(
                source_object_id=str(value),
                label=categories.get(str(value)),
                frames=frames,
                attributes={"video": video_key},
            )
        )
    return objects


def _categories(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, video_key: str, limits: ZipLimits
) -> dict[str, str]:
    meta = load_json(read_entry(zf, info, limits), name=info.filename)
    try:
        objects = meta["videos"][video_key]["objects"]
    except (KeyError, TypeError):
        return {}
    if not isinstance(objects, dict):
        raise FormatError(f"{info.filename}: videos.{video_key}.objects must be an object.")
    return {
        str(k): v["category"]
        for k, v in objects.items()
        if isinstance(v, dict) and isinstance(v.get("category"), str)
    }
