"""What every format shares: the data an export reads, the objects an import yields, the
frames an export walks and the warnings it reports. Nothing here touches the database."""

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from backend.common import rle as rle_codec
from backend.common.exceptions import ApplicationError
from backend.exports.zipwriter import ZipWriter

# SA-V's size buckets (README): small < 32^2 <= medium < 96^2 <= large pixels.
SMALL_MAX_AREA = 32 * 32
MEDIUM_MAX_AREA = 96 * 96
# Origins that mean a person made or changed the mask on that frame.
HUMAN_ORIGINS = frozenset({"click", "edited"})
# Category of masklets without a label (YouTube-VIS categories, YouTube-VOS meta.json).
UNLABELED = "unlabeled"

ProgressFn = Callable[[float], None]


class FormatError(ApplicationError):
    """An import file is not what its format says (or an export cannot be written in it);
    answered with 400 and nothing imported."""

    status = 400


# ---- what exports read ----------------------------------------------------------------


@dataclass(frozen=True)
class ExportVideo:
    id: int
    key: str  # unique, file-system safe name used for folders and video_id
    width: int
    height: int
    fps: float
    frame_count: int
    environment: str = ""  # SA-V video_environment ("Indoor"/"Outdoor"), "" when unknown
    split: str = ""  # "train" | "val" | "test", "" when unassigned (exported as train)


@dataclass(frozen=True)
class ExportMasklet:
    id: int
    source: str  # "manual" | "auto"
    label: str | None
    # Frames a person edited before import (SA-V masklet_edited_frame_count); our own
    # click/edited frames are counted on top.
    imported_edited_frames: int = 0


@dataclass(frozen=True)
class FrameMask:
    masklet_id: int
    frame_index: int
    rle: dict[str, Any]
    area: int
    bbox: list[float]
    origin: str
    score: float | None


class ExportSource(Protocol):
    """What writers read. Frame iterators stream rows (bounded memory)."""

    frame_step: int  # the job's step: formats on the video's own frames export 0, s, 2s, ...

    def video_count(self) -> int: ...

    def videos(self) -> Iterator[ExportVideo]: ...

    def masklets(self, video: ExportVideo) -> list[ExportMasklet]: ...

    def frames(
        self,
        video: ExportVideo,
        masklet_ids: Sequence[int],
        *,
        order: Literal["frame", "masklet"],
        step: int,
    ) -> Iterator[FrameMask]:
        """Rows of the masklets on the frames 0, step, 2 * step, ... of the video."""
        ...

    def frame_jpeg(self, video: ExportVideo, frame_index: int) -> bytes: ...

    def label_names(self) -> list[str]: ...


def masklet_label(masklet: ExportMasklet) -> str:
    """How warnings name a masklet: "masklet #12 (car)"."""
    return f"masklet #{masklet.id}" + (f" ({masklet.label})" if masklet.label else "")


def exported_frames(video: ExportVideo, step: int) -> range:
    return range(0, video.frame_count, step)


def rows_at(
    source: ExportSource, video: ExportVideo, masklet_ids: Sequence[int], frames: Sequence[int]
) -> Iterator[tuple[int, dict[int, FrameMask]]]:
    """(video frame, {masklet id: row}) for each of `frames` (ascending, repeats allowed),
    an empty dict where none of the masklets has a row. One streamed query: only frames
    that are multiples of the frames' greatest common divisor are read."""
    step = functools.reduce(math.gcd, frames, 0) or 1
    rows = source.frames(video, masklet_ids, order="frame", step=step)
    grouped = itertools.groupby(rows, key=lambda row: row.frame_index)
    pending = next(grouped, None)
    current_frame, current = -1, dict[int, FrameMask]()
    for frame in frames:
        if frame != current_frame:
            while pending is not None and pending[0] < frame:
                pending = next(grouped, None)
            current = {}
            if pending is not None and pending[0] == frame:
                current = {row.masklet_id: row for row in pending[1]}
                pending = next(grouped, None)
            current_frame = frame
        yield frame, current


class VideoProgress:
    """Turns (video i of n, fraction within it) into one overall fraction."""

    def __init__(self, report: ProgressFn, total_videos: int) -> None:
        self._report = report
        self._total = max(total_videos, 1)
        self._done = 0

    def within(self, fraction: float) -> None:
        self._report(min((self._done + fraction) / self._total, 1.0))

    def video_done(self) -> None:
        self._done += 1
        self._report(min(self._done / self._total, 1.0))


def frame_name(frame: int, frame_count: int) -> str:
    """A frame's file stem: five digits as DAVIS and YouTube-VOS name them, more only for
    videos past 99,999 frames, so that names always sort in frame order."""
    return f"{frame:0{max(5, len(str(frame_count - 1)))}d}"


# ---- warnings -------------------------------------------------------------------------

# Frames listed per warning in the job's result; warnings.txt gives every frame as ranges.
MAX_LISTED_FRAMES = 100
# Warnings kept in the job's result; warnings.txt has them all.
MAX_RESULT_WARNINGS = 500


@dataclass(frozen=True)
class ExportWarning:
    """Something a format cannot keep, reported in the job's result and warnings.txt."""

    video: str
    kind: str  # hidden | partly_hidden | not_annotated | left_out | resampled | size | ...
    message: str
    masklet: int | None = None
    frames: tuple[int, ...] = ()  # video frames concerned, the first MAX_LISTED_FRAMES
    frame_count: int = 0  # how many frames in all
    covered_by: tuple[int, ...] = ()  # older masklets that hide this one

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"video": self.video, "kind": self.kind, "message": self.message}
        if self.masklet is not None:
            entry["masklet"] = self.masklet
        if self.frame_count:
            entry["frames"] = list(self.frames)
            entry["frame_count"] = self.frame_count
        if self.covered_by:
            entry["covered_by"] = list(self.covered_by)
        return entry


class ExportLog:
    """Collects an export's warnings; `finish` writes them to warnings.txt (only when
    there are any) and returns them for the job's result."""

    def __init__(self) -> None:
        self.warnings: list[ExportWarning] = []

    def add(self, warning: ExportWarning) -> None:
        self.warnings.append(warning)

    def finish(self, zf: ZipWriter) -> list[ExportWarning]:
        if self.warnings:
            lines = [
                f"{len(self.warnings)} warning(s); the export job's result lists them too.",
                "",
            ]
            lines += [f"{w.video}: {w.message}" for w in self.warnings]
            zf.write("warnings.txt", ("\n".join(lines) + "\n").encode(), compress=True)
        return self.warnings


def frames_warning(runs: "FrameRuns", plan: Sequence[int], **fields: Any) -> ExportWarning:
    """A warning about the frames in `runs` (positions in `plan`, the written frames)."""
    return ExportWarning(
        frames=runs.frames(plan, MAX_LISTED_FRAMES), frame_count=runs.count, **fields
    )


def warnings_result(warnings: Sequence[ExportWarning]) -> dict[str, Any]:
    """The job's result: the warnings (the first MAX_RESULT_WARNINGS) and their count."""
    return {
        "warnings": [w.as_dict() for w in warnings[:MAX_RESULT_WARNINGS]],
        "warning_count": len(warnings),
    }


class FrameRuns:
    """Positions in a video's exported frame list, kept as runs of consecutive positions:
    memory grows with the changes, not with the frames."""

    def __init__(self) -> None:
        self.runs: list[list[int]] = []
        self.count = 0

    def add(self, position: int) -> None:
        self.count += 1
        if self.runs and self.runs[-1][1] == position - 1:
            self.runs[-1][1] = position
        else:
            self.runs.append([position, position])

    def positions(self) -> Iterator[int]:
        for first, last in self.runs:
            yield from range(first, last + 1)

    def frames(self, plan: Sequence[int], limit: int | None = None) -> tuple[int, ...]:
        return tuple(plan[p] for p in itertools.islice(self.positions(), limit))

    def describe(self, plan: Sequence[int], *, max_runs: int = 12) -> str:
        """ "4-12, 20" for exported frames 4 to 12 (every exported frame between) and 20."""
        shown = [
            str(plan[a]) if a == b else f"{plan[a]}-{plan[b]}" for a, b in self.runs[:max_runs]
        ]
        rest = len(self.runs) - max_runs
        return ", ".join(shown) + (f" and {rest} more ranges" if rest > 0 else "")


# ---- what imports yield ---------------------------------------------------------------


@dataclass
class ImportedFrame:
    frame_index: int
    rle: rle_codec.Rle
    score: float | None = None


@dataclass
class ImportedObject:
    """One masklet to create, as read from a file, already checked against the video."""

    source_object_id: str
    source: str = "manual"  # "manual" | "auto"
    label: str | None = None
    frames: list[ImportedFrame] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportedFile:
    """What a parser read: the objects, and the video attributes the file states (SA-V's
    video_environment and video_split; "" when it states none)."""

    objects: list[ImportedObject]
    environment: str = ""
    split: str = ""


@dataclass(frozen=True)
class TargetVideo:
    """The video an import lands on: every mask must have its size and frame range."""

    width: int
    height: int
    frame_count: int
    fps: float
