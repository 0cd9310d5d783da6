"""SA-V (Segment Anything Video) exports, as the SA-V README defines the dataset.

SA-V's videos are 24 fps and annotated at 6 fps: every 4th frame, whatever frame step the
project annotates at. A video of another frame rate is resampled to 24 fps on export
(`timeline_24fps`): 24 fps frame k shows the video's frame nearest in time, round-half-up of
k * fps / 24; clips within 0.5% of 24 fps (23.976 = 24000/1001) are taken frame for frame.
Each resampled video is reported in warnings.txt and the job's result.

Training layout (SAM 2's JSONRawDataset reads it with img_folder=JPEGImages_24fps,
gt_folder=sav_train, ann_every=4):

    sav_train/{video}_manual.json   every video (masklet_num 0 when it has no manual masklet)
    sav_train/{video}_auto.json     videos with automatic masklets
    JPEGImages_24fps/{video}/{k:05d}.jpg

`masklet[j][i]` is object i on 24 fps frame 4j (the loader reads entry j as frame
j * ann_every): its RLE, or null where the masklet has no mask on that frame (never
annotated there; SAM 2's loader reads null as "not annotated"), never an empty RLE standing
in for a missing annotation. Per-object fields as the README defines them, over the
annotated frames: size_abs is the mean area where visible, size_rel that over height x
width, visibility_changes the visible<->invisible switches after the first appearance,
first_appeared_frame the annotated index of the first visible mask, frame_count the
annotated frames with a mask, edited_frame_count those a person made or edited (origin
click/edited, plus what an SA-V import brought), stability_score per annotated frame and
object for auto masklets (null where a frame has no score) and one null per object for
manual ones. A masklet never visible on an annotated frame is left out (its
first_appeared_frame would not exist) and reported. video_environment is the video's
attribute and is omitted when unknown; video_split is the video's split, "train" when
unassigned.

Val/test layout, one root per split (`sav_test` for test videos, `sav_val` for the rest):

    {root}/{root}.txt                                    video ids, one a line
    {root}/JPEGImages_24fps/{video}/{k:05d}.jpg
    {root}/Annotations_6fps/{video}/{object:03d}/{k:05d}.png

one 0/255 PNG per object and annotated frame (all zeros where the object is not visible);
no PNG where the masklet has no mask on that frame (SA-V's evaluator scores an object on the
frames its folder holds).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.exports.formats.archive import json_dump, open_text, write_bytes
from backend.exports.formats.base import (
    HUMAN_ORIGINS,
    MEDIUM_MAX_AREA,
    SMALL_MAX_AREA,
    ExportLog,
    ExportMasklet,
    ExportSource,
    ExportVideo,
    ExportWarning,
    FrameMask,
    FrameRuns,
    ProgressFn,
    VideoProgress,
    frames_warning,
    masklet_label,
    rows_at,
)
from backend.exports.formats.images import empty_rle, gray_png, mask_from_rle
from backend.exports.zipwriter import ZipWriter

SAV_FPS = 24
ANNOTATION_STEP = 4  # 6 fps of 24 fps
# How far from 24 fps a clip may be and still be taken frame for frame (23.976 is 0.1% off).
SAME_RATE_TOLERANCE = 0.005
MASKLET_TYPES = ("manual", "auto")
ENVIRONMENTS = ("Indoor", "Outdoor")
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


def is_24fps(fps: float) -> bool:
    return abs(fps / SAV_FPS - 1) <= SAME_RATE_TOLERANCE


def timeline_24fps(frame_count: int, fps: float) -> Sequence[int]:
    """The video frame each 24 fps frame shows: frame k shows round-half-up(k * fps / 24),
    for every k whose frame exists. The identity for a 24 fps clip."""
    if is_24fps(fps):
        return range(frame_count)
    ratio = fps / SAV_FPS
    frames: list[int] = []
    while (frame := math.floor(len(frames) * ratio + 0.5)) < frame_count:
        frames.append(frame)
    return frames


@dataclass(frozen=True)
class SavPlan:
    """One video on SA-V's clock: `timeline[k]` is the video frame of 24 fps frame k."""

    timeline: Sequence[int]

    @classmethod
    def of(cls, video: ExportVideo) -> "SavPlan":
        return cls(timeline_24fps(video.frame_count, video.fps))

    @property
    def annotated(self) -> range:
        """The 24 fps frames SA-V annotates: 0, 4, 8, ..."""
        return range(0, len(self.timeline), ANNOTATION_STEP)

    def annotated_sources(self) -> list[int]:
        return [self.timeline[k] for k in self.annotated]


def _note_frame_rate(log: ExportLog, video: ExportVideo, plan: SavPlan) -> None:
    if math.isclose(video.fps, SAV_FPS, rel_tol=1e-6):
        return
    count = len(plan.timeline)
    if is_24fps(video.fps):
        message = (
            f"is {video.fps:.3f} fps, taken as SA-V's 24 fps frame for frame: its "
            f"{count} frames are JPEGImages_24fps' frames and video_duration is {count}/24 s."
        )
    else:
        message = (
            f"is {video.fps:g} fps; SA-V's frames are 24 fps, so its {video.frame_count} frames "
            f"were resampled to {count} (24 fps frame k shows the video's frame "
            f"round(k x {video.fps:g} / 24)) and SA-V's annotated frames (every 4th) hold the "
            f"masks of video frames {_first_frames(plan.annotated_sources())}."
        )
    log.add(ExportWarning(video=video.key, kind="resampled", message=message))


def _first_frames(frames: Sequence[int], shown: int = 6) -> str:
    text = ", ".join(str(f) for f in frames[:shown])
    return text + (", ..." if len(frames) > shown else "")


def _not_annotated(
    video: ExportVideo,
    masklet: ExportMasklet,
    missing: FrameRuns,
    sources: Sequence[int],
    tail: str,
) -> ExportWarning:
    return frames_warning(
        missing,
        sources,
        video=video.key,
        kind="not_annotated",
        masklet=masklet.id,
        message=(
            f"{masklet_label(masklet)} has no mask on {missing.count} of SA-V's annotated frames "
            f"(video frames {missing.describe(sources)}); {tail}"
        ),
    )


def write_frames_24fps(
    zf: ZipWriter, source: ExportSource, video: ExportVideo, plan: SavPlan, root: str = ""
) -> None:
    for k, frame in enumerate(plan.timeline):
        name = f"{root}JPEGImages_24fps/{video.key}/{k:05d}.jpg"
        write_bytes(zf, name, source.frame_jpeg(video, frame), compress=False)


# ---- training layout ------------------------------------------------------------------


def write_training(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> list[ExportWarning]:
    log = ExportLog()
    progress = VideoProgress(report, source.video_count())
    for video in source.videos():
        plan = SavPlan.of(video)
        _note_frame_rate(log, video, plan)
        masklets = source.masklets(video)
        for kind in MASKLET_TYPES:
            group = [m for m in masklets if m.source == kind]
            # SAM 2's loader opens {video}_manual.json for every video it lists.
            if group or kind == "manual":
                _write_video_json(zf, source, video, plan, group, kind, log)
        progress.within(0.5)
        write_frames_24fps(zf, source, video, plan)
        progress.video_done()
    return log.finish(zf)


@dataclass
class _ObjectStats:
    visible_area_sum: float = 0.0
    visible_frames: int = 0
    annotated: int = 0  # annotated frames with a mask
    first_appeared: int | None = None
    last_visible: bool = False
    changes: int = 0
    edited: int = 0
    missing: FrameRuns = field(default_factory=FrameRuns)

    def add(self, index: int, row: FrameMask | None) -> None:
        if row is None:
            self.missing.add(index)
            return
        self.annotated += 1
        visible = row.area > 0
        if visible:
            self.visible_area_sum += row.area
            self.visible_frames += 1
            if self.first_appeared is None:
                self.first_appeared = index
        if self.first_appeared is not None and index > self.first_appeared:
            self.changes += visible != self.last_visible
        self.last_visible = visible
        self.edited += row.origin in HUMAN_ORIGINS

    @property
    def size_abs(self) -> float:
        return self.visible_area_sum / self.visible_frames if self.visible_frames else 0.0


def _write_video_json(
    zf: ZipWriter,
    source: ExportSource,
    video: ExportVideo,
    plan: SavPlan,
    group: list[ExportMasklet],
    kind: str,
    log: ExportLog,
) -> None:
    """Three streamed passes over the annotated frames: statistics (which decide the
    masklets kept), the masks, and for auto masklets the stability scores."""
    sources = plan.annotated_sources()
    stats = {m.id: _ObjectStats() for m in group}
    for index, (_, found) in enumerate(rows_at(source, video, list(stats), sources)):
        for masklet_id, object_stats in stats.items():
            object_stats.add(index, found.get(masklet_id))
    kept = []
    for masklet in group:
        object_stats = stats[masklet.id]
        if not object_stats.visible_frames:
            log.add(
                ExportWarning(
                    video=video.key,
                    kind="left_out",
                    masklet=masklet.id,
                    message=(
                        f"{masklet_label(masklet)} is not visible on any of SA-V's annotated "
                        "frames (every 4th frame at 24 fps), so it is left out of "
                        f"{video.key}_{kind}.json."
                    ),
                )
            )
            continue
        kept.append(masklet)
        if object_stats.missing.count:
            log.add(
                _not_annotated(
                    video,
                    masklet,
                    object_stats.missing,
                    sources,
                    "masklet holds null there, which SAM 2's SA-V loader reads as not "
                    "annotated (with rm_unannotated it leaves those frames out).",
                )
            )
    ids = [m.id for m in kept]
    resolution = video.height * video.width
    with open_text(zf, f"sav_train/{video.key}_{kind}.json") as out:
        head: dict[str, Any] = {
            "video_id": video.key,
            "video_duration": len(plan.timeline) / SAV_FPS,
            "video_frame_count": float(len(plan.timeline)),
            "video_height": float(video.height),
            "video_width": float(video.width),
            "video_resolution": float(resolution),
        }
        if video.environment in ENVIRONMENTS:  # unknown: omitted, never an invalid value
            head["video_environment"] = video.environment
        head["video_split"] = video.split or "train"
        out.write(json_dump(head)[:-1] + ',"masklet":[')
        for index, (_, found) in enumerate(rows_at(source, video, ids, sources)):
            cells = (json_dump(found[i].rle) if i in found else "null" for i in ids)
            out.write(("," if index else "") + "[" + ",".join(cells) + "]")
        chosen = [stats[i] for i in ids]
        tail: dict[str, Any] = {
            "masklet_id": list(range(len(kept))),
            "masklet_size_rel": [s.size_abs / resolution for s in chosen],
            "masklet_size_abs": [s.size_abs for s in chosen],
            "masklet_size_bucket": [size_bucket(s.size_abs) for s in chosen],
            "masklet_visibility_changes": [s.changes for s in chosen],
            "masklet_first_appeared_frame": [s.first_appeared for s in chosen],
            "masklet_frame_count": [s.annotated for s in chosen],
            "masklet_edited_frame_count": [
                s.edited + m.imported_edited_frames for s, m in zip(chosen, kept, strict=True)
            ],
            "masklet_type": [kind] * len(kept),
        }
        out.write("]," + json_dump(tail)[1:-1] + ',"masklet_stability_score":')
        if kind == "auto":
            out.write("[")
            for index, (_, found) in enumerate(rows_at(source, video, ids, sources)):
                scores = [found[i].score if i in found else None for i in ids]
                out.write(("," if index else "") + json_dump(scores))
            out.write("]")
        else:
            out.write(json_dump([None] * len(kept)))
        out.write(f',"masklet_num":{len(kept)}}}')


# ---- val/test layout ------------------------------------------------------------------


def split_root(video: ExportVideo) -> str:
    return "sav_test" if video.split == "test" else "sav_val"


def write_val(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> list[ExportWarning]:
    log = ExportLog()
    progress = VideoProgress(report, source.video_count())
    listed: dict[str, list[str]] = {}
    for video in source.videos():
        root = split_root(video)
        listed.setdefault(root, []).append(video.key)
        plan = SavPlan.of(video)
        _note_frame_rate(log, video, plan)
        group = source.masklets(video)
        sources = plan.annotated_sources()
        missing = [FrameRuns() for _ in group]
        empty_png: bytes | None = None
        rows = rows_at(source, video, [m.id for m in group], sources)
        for index, (k, (_, found)) in enumerate(zip(plan.annotated, rows, strict=True)):
            for position, masklet in enumerate(group):
                row = found.get(masklet.id)
                if row is None:
                    missing[position].add(index)
                    continue
                if row.area:
                    # Painted from the RLE's runs, already 0/255: no full decode, no rescale.
                    png = gray_png(mask_from_rle(row.rle, value=255))
                else:
                    if empty_png is None:
                        empty_png = gray_png(mask_from_rle(empty_rle(video.height, video.width)))
                    png = empty_png
                name = f"{root}/Annotations_6fps/{video.key}/{position:03d}/{k:05d}.png"
                write_bytes(zf, name, png, compress=False)
            if index % 16 == 0:
                progress.within(0.5 * index / max(len(sources), 1))
        for masklet, runs in zip(group, missing, strict=True):
            if runs.count:
                log.add(
                    _not_annotated(
                        video,
                        masklet,
                        runs,
                        sources,
                        "no PNG is written there (SA-V's evaluator scores an object only on "
                        "the frames its folder holds).",
                    )
                )
        write_frames_24fps(zf, source, video, plan, root=f"{root}/")
        progress.video_done()
    for root, keys in sorted(listed.items()):
        listing = "".join(f"{key}\n" for key in keys).encode()
        write_bytes(zf, f"{root}/{root}.txt", listing, compress=True)
    return log.finish(zf)
