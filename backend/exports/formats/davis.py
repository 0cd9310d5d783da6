"""DAVIS 2017 layout, as the davis2017-evaluation code reads it (`DAVIS(root, subset=...)`
with its default resolution "480p"):

    JPEGImages/480p/{video}/{frame}.jpg     the exported frames (0, step, 2*step, ...)
    Annotations/480p/{video}/{frame}.png    palette PNG: 0 background, k the k-th masklet
    ImageSets/2017/train.txt, val.txt       video names, one a line (both always written;
                                            test-dev.txt too when a video's split is test)

Videos go to the subset of their split (unassigned ones to train). Files are named by the
video's frame number; every JPEG has its PNG, because the loader pairs them by sorted name.
The evaluation reads index 255 as void, so a video holds at most 254 objects, and it counts
a video's objects as the highest index in its first frame's PNG: an object that is not
there is reported, since the evaluation leaves it out.

Size: DAVIS 2017's 480p frames are 480 pixels high. Frames and masks keep the video's own
size (the evaluation reads any size, and a resize would change every mask, so round trips
would no longer be exact); a video of another height is reported.
"""

from backend.exports.formats.archive import write_bytes
from backend.exports.formats.base import (
    ExportLog,
    ExportSource,
    ExportWarning,
    FormatError,
    ProgressFn,
    VideoProgress,
    exported_frames,
    frame_name,
    masklet_label,
    rows_at,
)
from backend.exports.formats.images import indexed_png
from backend.exports.formats.vos import PaletteVideo, video_left_out
from backend.exports.zipwriter import ZipWriter

RESOLUTION = "480p"
DAVIS_HEIGHT = 480
MAX_OBJECTS = 254  # 255 is void to the DAVIS evaluation
SUBSETS = {"": "train", "train": "train", "val": "val", "test": "test-dev"}


def write(zf: ZipWriter, source: ExportSource, report: ProgressFn) -> list[ExportWarning]:
    log = ExportLog()
    progress = VideoProgress(report, source.video_count())
    subsets: dict[str, list[str]] = {"train": [], "val": []}
    for video in source.videos():
        group = source.masklets(video)
        if len(group) > MAX_OBJECTS:
            raise FormatError(
                f"Video {video.key} has {len(group)} masklets; a DAVIS 2017 PNG holds at most "
                f"{MAX_OBJECTS} objects (index 255 is void)."
            )
        plan = exported_frames(video, source.frame_step)
        palette = PaletteVideo(video, group)
        first_highest = 0
        rows = rows_at(source, video, [m.id for m in group], plan)
        for done, (frame, found) in enumerate(rows):
            indices = palette.compose(frame, found)
            if indices is None:
                continue
            if len(palette.written) == 1:
                first_highest = int(indices.max())
            name = frame_name(frame, video.frame_count)
            png = indexed_png(indices)
            write_bytes(zf, f"Annotations/{RESOLUTION}/{video.key}/{name}.png", png, compress=False)
            jpeg = source.frame_jpeg(video, frame)
            write_bytes(zf, f"JPEGImages/{RESOLUTION}/{video.key}/{name}.jpg", jpeg, compress=False)
            if done % 16 == 0:
                progress.within(done / len(plan))
        palette.report(log, "the DAVIS 2017 evaluation does not see it on those frames.")
        if not palette.written:
            # The loader refuses a listed sequence without images.
            log.add(video_left_out(video))
            progress.video_done()
            continue
        subsets.setdefault(SUBSETS[video.split], []).append(video.key)
        if video.height != DAVIS_HEIGHT:
            log.add(
                ExportWarning(
                    video=video.key,
                    kind="size",
                    message=(
                        f"is {video.width}x{video.height}; DAVIS 2017's 480p frames are "
                        f"{DAVIS_HEIGHT} pixels high. Its frames and masks keep their size "
                        "in the 480p folders (the DAVIS 2017 evaluation reads any size)."
                    ),
                )
            )
        for k, masklet in enumerate(group[first_highest:], start=first_highest + 1):
            log.add(
                ExportWarning(
                    video=video.key,
                    kind="uncounted",
                    masklet=masklet.id,
                    message=(
                        f"object {k} ({masklet_label(masklet)}) is not in the first frame's "
                        f"PNG, whose highest index is {first_highest}: the DAVIS 2017 "
                        "evaluation counts a video's objects by that index, so it leaves "
                        f"object {k} out."
                    ),
                )
            )
        progress.video_done()
    for subset, keys in subsets.items():
        index = "".join(f"{key}\n" for key in keys).encode()
        write_bytes(zf, f"ImageSets/2017/{subset}.txt", index, compress=True)
    return log.finish(zf)
