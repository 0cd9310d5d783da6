"""YouTube-VOS layout, as its downloads are laid out (train.zip holds train/...):

    {split}/JPEGImages/{video}/{frame}.jpg     the exported frames (0, step, 2*step, ...)
    {split}/Annotations/{video}/{frame}.png    palette PNG: 0 background, k the k-th masklet
    {split}/meta.json                          {"videos": {video: {"objects": {"k":
                                                 {"category": label, "frames": [...]}}}}}

Split folders: `train` (train and unassigned videos), `valid` (val), `test` (test). Files
are named by the video's frame number, as YouTube-VOS names its sparse annotations, and
every JPEG has its PNG (SAM 2's PNG loader looks one up for each frame it samples).
meta.json lists the frames where each object is visible in the PNG; an object visible on
none is left out of it (and reported as hidden). Masklets without a label have the
category "unlabeled".
"""

from collections import defaultdict

from backend.exports.formats.archive import json_dump, open_text, write_bytes
from backend.exports.formats.base import (
    UNLABELED,
    ExportLog,
    ExportSource,
    ExportWarning,
    FormatError,
    ProgressFn,
    VideoProgress,
    exported_frames,
    frame_name,
    rows_at,
)
from backend.exports.formats.images import indexed_png
from backend.exports.formats.vos import PaletteVideo, video_left_out
from backend.exports.zipwriter import ZipWriter

MAX_OBJECTS = 255
FOLDERS = {"": "train", "train": "train", "val": "valid", "test": "test"}


def write(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> list[ExportWarning]:
    log = ExportLog()
    progress = VideoProgress(report, source.video_count())
    # Runs of visible frames per object, kept until the meta.json files are written last
    # (a zip takes one open entry at a time).
    by_folder: dict[str, list[PaletteVideo]] = defaultdict(list)
    for video in source.videos():
        group = source.masklets(video)
        if len(group) > MAX_OBJECTS:
            raise FormatError(
                f"Video {video.key} has {len(group)} masklets; a palette PNG holds at most "
                f"{MAX_OBJECTS} objects."
            )
        folder = FOLDERS[video.split]
        plan = exported_frames(video, source.frame_step)
        palette = PaletteVideo(video, group)
        rows = rows_at(source, video, [m.id for m in group], plan)
        for done, (frame, found) in enumerate(rows):
            indices = palette.compose(frame, found)
            if indices is None:
                continue
            name = frame_name(frame, video.frame_count)
            png = indexed_png(indices)
            write_bytes(zf, f"{folder}/Annotations/{video.key}/{name}.png", png, compress=False)
            jpeg = source.frame_jpeg(video, frame)
            write_bytes(zf, f"{folder}/JPEGImages/{video.key}/{name}.jpg", jpeg, compress=False)
            if done % 16 == 0:
                progress.within(done / len(plan))
        palette.report(log, "meta.json leaves those frames out.")
        if palette.written:
            by_folder[folder].append(palette)
        else:
            log.add(video_left_out(video))
        progress.video_done()
    for folder, palettes in sorted(by_folder.items()):
        with open_text(zf, f"{folder}/meta.json") as out:
            out.write('{"videos":{')
            for v, palette in enumerate(palettes):
                video = palette.video
                out.write(("," if v else "") + json_dump(video.key) + ':{"objects":{')
                first = True
                for k, masklet in enumerate(palette.group, start=1):
                    frames = palette.visible_frames(k)
                    if not frames:
                        continue
                    entry = {
                        "category": masklet.label or UNLABELED,
                        "frames": [frame_name(f, video.frame_count) for f in frames],
                    }
                    out.write(("" if first else ",") + f'"{k}":' + json_dump(entry))
                    first = False
                out.write("}}")
            out.write("}}")
    return log.finish(zf)
