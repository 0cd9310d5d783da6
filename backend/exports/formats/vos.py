"""What DAVIS 2017 and YouTube-VOS share: one indexed-palette PNG per exported frame, and
the reader that imports such PNG folders.

Object k (1-based) is the k-th exported masklet of the video in id order. A palette PNG
holds one object per pixel, so where masks overlap the smaller index (the older masklet)
wins, the rule SAM 2's vos_inference uses when it merges per-object masks. Nothing is lost
silently: every object that an older one hides completely on a frame, or cuts pixels from,
is reported (warnings.txt and the job's result) with the frames and the masklets over it,
and YouTube-VOS's meta.json lists only the frames where an object is visible in the PNG.
Each object's own mask stays exact in the RLE formats (SA-V, YouTube-VIS).
"""

import posixpath
import zipfile
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    MAX_LISTED_FRAMES,
    UNLABELED,
    ExportLog,
    ExportMasklet,
    ExportVideo,
    ExportWarning,
    FormatError,
    FrameMask,
    FrameRuns,
    ImportedFile,
    ImportedFrame,
    ImportedObject,
    TargetVideo,
    frames_warning,
    masklet_label,
)
from backend.exports.formats.checks import FieldReader
from backend.exports.formats.images import (
    compose_runs,
    read_png_indices,
    rle_foreground_runs,
    values_under,
)


def video_left_out(video: ExportVideo) -> ExportWarning:
    return ExportWarning(
        video=video.key,
        kind="left_out",
        message="has no mask of an exported masklet on the exported frames; it is left out.",
    )


@dataclass
class _Track:
    """Where one object shows in the PNGs, and where it does not and why."""

    visible: FrameRuns = field(default_factory=FrameRuns)
    hidden: FrameRuns = field(default_factory=FrameRuns)  # an older object covers all of it
    cut: FrameRuns = field(default_factory=FrameRuns)  # an older object covers part of it
    missing: FrameRuns = field(default_factory=FrameRuns)  # no mask of it on the frame
    worst_loss: float = 0.0
    worst_frame: int = 0
    covered_by: set[int] = field(default_factory=set)


class PaletteVideo:
    """Composes one video's palette PNGs frame by frame and keeps, per object, the frames
    where it shows and where it does not (as runs over the written frames: memory grows
    with the changes, plus four bytes per written frame).

    A frame on which no exported masklet has a mask was never annotated: it gets no PNG
    and no JPEG (an empty PNG would claim every object absent) and is reported."""

    def __init__(self, video: ExportVideo, group: Sequence[ExportMasklet]) -> None:
        self.video = video
        self.group = list(group)
        self.tracks = [_Track() for _ in self.group]
        self.written = array("i")  # video frame of each written PNG
        self.skipped = 0
        self.skipped_frames = array("i")  # the first MAX_LISTED_FRAMES of them

    def compose(self, frame: int, found: dict[int, FrameMask]) -> np.ndarray | None:
        """[H, W] uint8 indices of one exported frame, painted from each RLE's runs; None
        for a frame that no masklet has a mask on (nothing to write)."""
        if not found:
            self.skipped += 1
            if len(self.skipped_frames) < MAX_LISTED_FRAMES:
                self.skipped_frames.append(frame)
            return None
        position = len(self.written)
        self.written.append(frame)
        rows = [found.get(m.id) for m in self.group]
        runs = [
            rle_foreground_runs(row.rle) if row is not None and row.area else None for row in rows
        ]
        indices = compose_runs(runs, self.video.height, self.video.width)
        column_major = indices.ravel(order="F")
        for k, (row, object_runs, track) in enumerate(zip(rows, runs, self.tracks, strict=True), 1):
            if row is None:
                track.missing.add(position)
            if row is None or object_runs is None:
                continue
            # What the PNG shows on this object's own pixels: itself, or older objects.
            shown = np.bincount(values_under(column_major, object_runs), minlength=k + 1)
            visible = int(shown[k])
            if visible:
                track.visible.add(position)
            if visible < row.area:
                older = np.flatnonzero(shown[1:k]) + 1
                track.covered_by.update(self.group[i - 1].id for i in older.tolist())
                (track.cut if visible else track.hidden).add(position)
                loss = 1 - visible / row.area
                if loss > track.worst_loss:
                    track.worst_loss, track.worst_frame = loss, frame
        return indices

    def visible_frames(self, k: int) -> tuple[int, ...]:
        """The video frames where object k (1-based) has pixels in the PNG."""
        return self.tracks[k - 1].visible.frames(self.written)

    def report(self, log: ExportLog, consequence: str) -> None:
        """Per object: frames where it has no mask, where older objects hide it or cut
        pixels from it, or that it is in no PNG at all; `consequence` says what the format
        does with the frames where it is hidden."""
        if self.skipped:
            listed = ", ".join(str(f) for f in self.skipped_frames[:12])
            log.add(
                ExportWarning(
                    video=self.video.key,
                    kind="not_annotated",
                    frames=tuple(self.skipped_frames),
                    frame_count=self.skipped,
                    message=(
                        f"{self.skipped} of the exported frames have no mask of any "
                        f"exported masklet (never annotated: frames {listed}"
                        f"{', ...' if self.skipped > 12 else ''}); they are left out, "
                        "no JPEG and no PNG."
                    ),
                )
            )
        for k, (masklet, track) in enumerate(zip(self.group, self.tracks, strict=True), 1):
            for warning in self._object_warnings(k, masklet, track, consequence):
                log.add(warning)

    def _object_warnings(
        self, k: int, masklet: ExportMasklet, track: _Track, consequence: str
    ) -> list[ExportWarning]:
        name = f"object {k} ({masklet_label(masklet)})"
        by = ", ".join(f"#{i}" for i in sorted(track.covered_by))
        common: dict[str, Any] = {"video": self.video.key, "masklet": masklet.id}
        warnings = []
        if track.missing.count:
            warnings.append(
                frames_warning(
                    track.missing,
                    self.written,
                    kind="not_annotated",
                    message=(
                        f"{name} has no mask on {track.missing.count} written frame(s) "
                        f"({track.missing.describe(self.written)}), where other masklets "
                        "have one; the PNGs show no pixel of it there."
                    ),
                    **common,
                )
            )
        if not track.visible.count and not track.hidden.count:
            warnings.append(
                ExportWarning(
                    kind="left_out",
                    message=f"{name} has no visible mask on the exported frames; no PNG shows it.",
                    **common,
                )
            )
        common["covered_by"] = tuple(sorted(track.covered_by))
        if track.hidden.count:
            warnings.append(
                frames_warning(
                    track.hidden,
                    self.written,
                    kind="hidden",
                    message=(
                        f"{name} is hidden on {track.hidden.count} frame(s) "
                        f"({track.hidden.describe(self.written)}) by older overlapping "
                        f"masklet(s) {by}: a palette PNG holds one object per pixel and the "
                        f"older one wins; {consequence}"
                    ),
                    **common,
                )
            )
        if track.cut.count:
            warnings.append(
                frames_warning(
                    track.cut,
                    self.written,
                    kind="partly_hidden",
                    message=(
                        f"{name} loses pixels to older overlapping masklet(s) {by} on "
                        f"{track.cut.count} frame(s) ({track.cut.describe(self.written)}), up "
                        f"to {100 * track.worst_loss:.0f}% of its mask (frame "
                        f"{track.worst_frame})."
                    ),
                    **common,
                )
            )
        return warnings


# ---- import ---------------------------------------------------------------------------


def parse_zip(
    zf: zipfile.ZipFile,
    *,
    target: TargetVideo,
    source_video: str | None,
    limits: ZipLimits,
    void: int | None,
) -> ImportedFile:
    """Palette (or grayscale) PNGs of one video folder -> one object per index seen.

    The PNGs are `{frame}.png` files in one folder (Annotations/480p/{video}/ in DAVIS 2017,
    {split}/Annotations/{video}/ in YouTube-VOS); with several video folders,
    `source_video` is the path of the one to import (or a base name no other folder has).
    A YouTube-VOS meta.json beside the Annotations folder gives each object's category.
    `void` is an index that marks no object (255 in DAVIS 2017).
    """
    folders: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
    metas: dict[str, zipfile.ZipInfo] = {}
    for info in safe_entries(zf, limits):
        parts = entry_parts(info)
        if parts[-1] == "meta.json":
            metas["/".join(parts)] = info
        elif parts[-1].lower().endswith(".png") and not parts[-1].startswith("."):
            folders["/".join(parts[:-1])].append(info)
    if not folders:
        raise FormatError("The zip holds no annotation PNGs.")
    folder = choose_folder(folders, source_video)
    video_key = posixpath.basename(folder)
    meta = metas.get(_meta_path(folder))
    categories = _categories(zf, meta, video_key, limits) if meta is not None else {}

    # Masks are encoded frame by frame, so memory holds RLEs, never a stack of images.
    numbered: dict[int, zipfile.ZipInfo] = {}
    for info in folders[folder]:
        stem = posixpath.splitext(posixpath.basename(info.filename))[0]
        index = frame_number(stem, name=info.filename, frame_count=target.frame_count)
        if index in numbered:
            raise FormatError(
                f"{info.filename}: frame {index} is given twice.", extra={"file": info.filename}
            )
        numbered[index] = info
    per_object: dict[int, dict[int, rle_codec.Rle]] = defaultdict(dict)
    for index, info in sorted(numbered.items()):
        indices = read_png_indices(read_entry(zf, info, limits), name=info.filename, target=target)
        for value in np.unique(indices).tolist():
            if value and value != void:
                per_object[value][index] = rle_codec.encode(indices == value)
    empty = rle_codec.encode(np.zeros((target.height, target.width), np.uint8))
    objects = []
    for value in sorted(per_object):
        seen = per_object[value]
        first = min(seen)
        # An object is annotated (visible or not) on every annotated frame from its first.
        frames = [ImportedFrame(i, seen.get(i, empty)) for i in sorted(numbered) if i >= first]
        category = categories.get(str(value))
        objects.append(
            ImportedObject(
                source_object_id=str(value),
                label=None if category in (None, UNLABELED) else category,
                frames=frames,
                attributes={"video": video_key},
            )
        )
    return ImportedFile(objects=objects)


def _meta_path(folder: str) -> str:
    """meta.json sits beside the Annotations folder above the video's PNGs."""
    parts = folder.split("/")
    if "Annotations" in parts:
        above = parts[: len(parts) - 1 - parts[::-1].index("Annotations")]
    else:
        above = parts[:-1]
    return "/".join([*above, "meta.json"])


def _categories(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, video_key: str, limits: ZipLimits
) -> dict[str, str | None]:
    """{object index: category} for the video, from a YouTube-VOS meta.json; every value
    the file gives for this video is type-checked."""
    name = info.filename
    read = FieldReader(name)
    meta = read.mapping(load_json(read_entry(zf, info, limits), name=name), "the file")
    videos = read.mapping(meta.get("videos"), "videos")
    if video_key not in videos:
        return {}
    video = read.mapping(videos[video_key], f"videos.{video_key}")
    objects = read.mapping(video.get("objects"), f"videos.{video_key}.objects")
    categories: dict[str, str | None] = {}
    for key, entry in objects.items():
        where = f"videos.{video_key}.objects.{key}"
        if not (key.isascii() and key.isdigit() and len(key) <= 3):
            read.fail(where, "must be keyed by the object's index in the PNGs (1, 2, ...).")
        entry = read.mapping(entry, where)
        category: Any = entry.get("category")
        categories[str(int(key))] = (
            None if category is None else read.text(category, f"{where}.category")
        )
        if entry.get("frames") is not None:
            for i, frame in enumerate(read.array(entry["frames"], f"{where}.frames")):
                read.text(frame, f"{where}.frames[{i}]", max_length=16)
    return categories
