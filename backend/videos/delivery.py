"""How extracted frames reach the browser: one JPEG, or a chunk of consecutive JPEGs.

A chunk packs frames [n * FRAMES_PER_CHUNK, (n + 1) * FRAMES_PER_CHUNK) of a video into one
immutable file, so a scrubbing browser makes one request per chunk instead of one per frame.
Its JPEGs are the same frames at scrubbing size (longest side SCRUB_MAX_SIDE): while an arrow
key is held, decoding and drawing a quarter of the pixels is what keeps the picture moving on a
busy machine (1080p JPEGs decode at ~6 frames/s there, measured); once the playhead rests, the
browser draws the full frame of the single-frame endpoint. Either way frame N is frame N: the
frame the masks of frame N belong to. Layout, integers unsigned 32-bit little-endian:

    b"SFC1" | first frame | count | count x byte length | the JPEGs, in frame order

Chunks are written at ingest and, for videos ingested before chunks existed (or a storage
that lost one), built on first request and kept in storage.
"""

import struct
from dataclasses import dataclass

import cv2
import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from backend.common.exceptions import ApplicationError
from backend.videos.models import Video

# Frames per chunk: 16 frames of 1080p at JPEG quality 90 are ~6 MB, fetched in tens of ms
# on a LAN; fewer means more requests while scrubbing, more means a longer first wait.
FRAMES_PER_CHUNK = 16
# Longest side of a chunk's frames: 960x540 for 1080p (a quarter of the pixels), ~60 KB each;
# the stage rarely shows more than that while scrubbing. Smaller videos keep their size.
SCRUB_MAX_SIDE = 960
SCRUB_JPEG_QUALITY = 80
CHUNK_MAGIC = b"SFC1"
CHUNK_CONTENT_TYPE = "application/vnd.sam2.frame-chunk"
JPEG_CONTENT_TYPE = "image/jpeg"
# Frames and chunks never change once written (a re-ingest makes a new video).
IMMUTABLE_CACHE_CONTROL = "private, max-age=31536000, immutable"
# The header nginx adds to every proxied API request (docker/nginx/nginx.conf): only then can
# an X-Accel-Redirect be answered with the file. Without it (uvicorn reached directly) such a
# response would be an empty 200, so Django sends the bytes itself.
SENDFILE_HEADER = "X-Sendfile-Type"
SENDFILE_ACCEL = "X-Accel-Redirect"


@dataclass(frozen=True)
class ChunkSpan:
    first: int
    count: int


def chunk_span(video: Video, chunk_index: int) -> ChunkSpan:
    """The frames of a chunk; Http404 for a chunk past the video's end."""
    first = chunk_index * FRAMES_PER_CHUNK
    if chunk_index < 0 or first >= video.frame_count:
        last = max(0, (video.frame_count - 1) // FRAMES_PER_CHUNK)
        raise Http404(f"The video has chunks 0..{last}.")
    return ChunkSpan(first, min(FRAMES_PER_CHUNK, video.frame_count - first))


def chunk_path(video: Video, chunk_index: int) -> str:
    # The sizes are in the name: other FRAMES_PER_CHUNK or SCRUB_MAX_SIDE never read old chunks.
    folder = f"chunks-{FRAMES_PER_CHUNK}-{SCRUB_MAX_SIDE}"
    return f"{video.frames_prefix}/{folder}/{chunk_index:06d}.sfc"


def scrub_jpeg(frame: np.ndarray) -> bytes:
    """A frame (BGR uint8 [H, W, 3]) as a chunk holds it: at most SCRUB_MAX_SIDE on its longest
    side, the same aspect ratio."""
    height, width = frame.shape[:2]
    scale = SCRUB_MAX_SIDE / max(height, width)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), SCRUB_JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding of a scrubbing frame failed")
    return jpeg.tobytes()


def chunk_pack(first: int, jpegs: list[bytes]) -> bytes:
    header = struct.pack(f"<4sII{len(jpegs)}I", CHUNK_MAGIC, first, len(jpegs), *map(len, jpegs))
    return header + b"".join(jpegs)


def chunk_is_complete(data: bytes, span: ChunkSpan) -> bool:
    """Whether stored chunk bytes are whole: a reader may meet a file another request is
    still writing (storage overwrites in place)."""
    head = 12 + 4 * span.count
    if len(data) < head or data[:4] != CHUNK_MAGIC:
        return False
    first, count, *lengths = struct.unpack_from(f"<II{span.count}I", data, 4)
    return first == span.first and count == span.count and len(data) == head + sum(lengths)


def frame_read(video: Video, frame_index: int) -> bytes:
    """A frame's JPEG; never empty (a missing or empty file is a server fault, said so)."""
    try:
        with default_storage.open(video.frame_path(frame_index), "rb") as fh:
            data = fh.read()
    except FileNotFoundError as exc:
        raise Http404(f"Frame {frame_index} is missing from storage.") from exc
    if not data:
        raise ApplicationError(
            f"Frame {frame_index} is empty in storage; the video needs to be ingested again.",
            extra={"frame": frame_index},
            status=500,
        )
    return data


def chunk_build(video: Video, chunk_index: int) -> bytes:
    """A chunk made from the stored frames (decoded and shrunk again)."""
    span = chunk_span(video, chunk_index)
    jpegs = []
    for index in range(span.first, span.first + span.count):
        frame = cv2.imdecode(np.frombuffer(frame_read(video, index), np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise ApplicationError(
                f"Frame {index} in storage is not a readable JPEG.",
                extra={"frame": index},
                status=500,
            )
        jpegs.append(scrub_jpeg(frame))
    return chunk_pack(span.first, jpegs)


def chunk_store(video: Video, chunk_index: int, data: bytes) -> None:
    default_storage.save(chunk_path(video, chunk_index), ContentFile(data))


def chunk_read(video: Video, chunk_index: int) -> bytes:
    """The chunk's bytes: from storage when it holds a whole one, else built and stored."""
    span = chunk_span(video, chunk_index)
    name = chunk_path(video, chunk_index)
    try:
        with default_storage.open(name, "rb") as fh:
            data = fh.read()
        if chunk_is_complete(data, span):
            return data
    except FileNotFoundError:
        pass
    data = chunk_build(video, chunk_index)
    chunk_store(video, chunk_index, data)
    return data


def storage_is_remote() -> bool:
    try:
        default_storage.path("")
    except NotImplementedError:
        return True
    return False


def _behind_accel_proxy(request: HttpRequest) -> bool:
    return settings.FRAMES_ACCEL_REDIRECT and request.headers.get(SENDFILE_HEADER) == SENDFILE_ACCEL


def frame_response(request: HttpRequest, video: Video, frame_index: int) -> HttpResponse:
    name = video.frame_path(frame_index)
    if _behind_accel_proxy(request):
        response = HttpResponse(content_type=JPEG_CONTENT_TYPE)
        response[SENDFILE_ACCEL] = f"/protected-media/{name}"
    elif storage_is_remote():
        response = HttpResponseRedirect(default_storage.url(name))
    else:
        # The whole (small) file in one body with its length: no streaming iterator, which
        # ASGI would have to drain through a thread anyway.
        response = HttpResponse(frame_read(video, frame_index), content_type=JPEG_CONTENT_TYPE)
    response["Cache-Control"] = IMMUTABLE_CACHE_CONTROL
    return response


def chunk_response(request: HttpRequest, video: Video, chunk_index: int) -> HttpResponse:
    if _behind_accel_proxy(request) or storage_is_remote():
        chunk_read(video, chunk_index)  # stored whole before anyone is sent to the file
        name = chunk_path(video, chunk_index)
        if storage_is_remote():
            response: HttpResponse = HttpResponseRedirect(default_storage.url(name))
        else:
            response = HttpResponse(content_type=CHUNK_CONTENT_TYPE)
            response[SENDFILE_ACCEL] = f"/protected-media/{name}"
    else:
        response = HttpResponse(chunk_read(video, chunk_index), content_type=CHUNK_CONTENT_TYPE)
    response["Cache-Control"] = IMMUTABLE_CACHE_CONTROL
    return response
