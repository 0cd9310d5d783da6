"""Masks and PNGs for exports and imports: palette and grayscale PNG writers, masks painted
straight from RLE runs, and PNG reading for imports. Nothing here touches the database."""

import functools
import io
import zlib
from collections.abc import Sequence

import numpy as np
from PIL import Image

from backend.common import rle as rle_codec
from backend.exports.formats.base import FormatError, TargetVideo

# ---- masks and PNGs -------------------------------------------------------------------


def empty_rle(height: int, width: int) -> rle_codec.Rle:
    return rle_codec.encode(np.zeros((height, width), np.uint8))


def palette() -> list[int]:
    """The DAVIS / PASCAL VOC colour map (index 1 dark red, 2 green, ...), 256 RGB entries."""
    colours: list[int] = []
    for index in range(256):
        r = g = b = 0
        c = index
        for bit in range(8):
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        colours.extend((r, g, b))
    return colours


_PALETTE = palette()


def indexed_png(indices: np.ndarray) -> bytes:
    """[H, W] uint8 object indices -> palette ("P" mode) PNG bytes. zlib's run-length
    strategy: index images are long runs of one value; three to four times faster than the
    default strategy for some 20% more bytes."""
    image = Image.fromarray(indices.astype(np.uint8, copy=False), mode="P")
    image.putpalette(_PALETTE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_type=zlib.Z_RLE)
    return buffer.getvalue()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ADLER_MOD = 65521


def gray_png(image: np.ndarray) -> bytes:
    """[H, W] uint8 image -> 8-bit grayscale PNG (filter None on every row).

    Built for object masks, which are zero outside a band of rows: only that band goes
    through zlib. The zero rows above and below are spliced in as deflate blocks made once
    (full-flushed, so blocks of independent compressors concatenate into one valid stream)
    and their Adler-32 is computed in closed form. Five to ten times faster than OpenCV's
    encoder on a 480x848 mask, with files of about the same size.
    """
    height, width = image.shape
    image = np.ascontiguousarray(image, dtype=np.uint8)
    rows = np.flatnonzero(image.any(axis=1))
    top, bottom = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (height, height)
    row_bytes = width + 1
    band = np.zeros((bottom - top, row_bytes), np.uint8)  # column 0: filter type None
    band[:, 1:] = image[top:bottom]
    packer = zlib.compressobj(1, zlib.DEFLATED, -15, 8, zlib.Z_RLE)
    deflated = b"".join(
        (
            _zero_rows_deflated(row_bytes, top),
            packer.compress(band),
            packer.flush(zlib.Z_FULL_FLUSH),
            _zero_rows_deflated(row_bytes, height - bottom),
            b"\x03\x00",  # an empty final block (fixed Huffman, end of block)
        )
    )
    adler = _adler32_zeros(1, top * row_bytes)
    adler = zlib.adler32(band, adler)
    adler = _adler32_zeros(adler, (height - bottom) * row_bytes)
    idat = b"\x78\x01" + deflated + adler.to_bytes(4, "big")
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes((8, 0, 0, 0, 0))
    return (
        _PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        len(data).to_bytes(4, "big")
        + kind
        + data
        + zlib.crc32(data, zlib.crc32(kind)).to_bytes(4, "big")
    )


def _adler32_zeros(adler: int, count: int) -> int:
    """Adler-32 after `count` zero bytes: the sum a stays, b grows by count * a."""
    a, b = adler & 0xFFFF, adler >> 16
    return (((b + count * a) % _ADLER_MOD) << 16) | a


def _zero_rows_deflated(row_bytes: int, rows: int) -> bytes:
    """Raw deflate blocks of rows x row_bytes zeros, from cached power-of-two pieces."""
    pieces = []
    power = 0
    while rows:
        if rows & 1:
            pieces.append(_zero_block(row_bytes, 1 << power))
        rows >>= 1
        power += 1
    return b"".join(pieces)


@functools.lru_cache(maxsize=64)
def _zero_block(row_bytes: int, rows: int) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, -15, 8, zlib.Z_RLE)
    return packer.compress(bytes(row_bytes * rows)) + packer.flush(zlib.Z_FULL_FLUSH)


# ---- masks straight from RLE runs -----------------------------------------------------
# Exports paint masks from the RLE's runs instead of decoding every object to a full
# [H, W] array: the work is per run (a few hundred per object), not per pixel.


def rle_runs(rle: rle_codec.Rle) -> np.ndarray:
    """Run lengths of a compressed COCO RLE (column-major, zeros first), decoded with numpy
    the way pycocotools' rleFrString reads the counts string."""
    codes = np.frombuffer(rle["counts"].encode("ascii"), np.uint8).astype(np.int64) - 48
    if codes.size == 0:
        return codes
    if codes.min() < 0 or codes.max() > 63:
        raise ValueError("RLE counts string has characters outside the COCO alphabet.")
    last = np.flatnonzero((codes & 0x20) == 0)  # each value's last character
    if last.size == 0 or last[-1] != codes.size - 1:
        raise ValueError("RLE counts string is truncated.")
    first = np.concatenate(([0], last[:-1] + 1))
    lengths = last - first + 1
    if lengths.max() > 12:
        raise ValueError("RLE counts string holds a value too long to be a run.")
    position = np.arange(codes.size) - np.repeat(first, lengths)
    values = np.add.reduceat((codes & 0x1F) << (5 * position), first)
    negative = (codes[last] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * lengths[negative])
    # From the fourth value on, each is a difference from the one two places before.
    values[1::2] = np.cumsum(values[1::2])
    values[2::2] = np.cumsum(values[2::2])
    return values


# (starts, ends) of a mask's runs of ones, as offsets into the column-major image.
Runs = tuple[list[int], list[int]]


def rle_foreground_runs(rle: rle_codec.Rle) -> Runs:
    """The mask's runs of ones (start, end offsets into the column-major image)."""
    height, width = rle["size"]
    runs = rle_runs(rle)
    if runs.size and (runs.min() < 0 or int(runs.sum()) != height * width):
        raise ValueError("RLE runs do not add up to height x width.")
    ends = np.cumsum(runs)
    starts = ends - runs
    return starts[1::2].tolist(), ends[1::2].tolist()


def paint_rle(image: np.ndarray, rle: rle_codec.Rle, value: int) -> None:
    paint_runs(image, rle_foreground_runs(rle), value)


def paint_runs(image: np.ndarray, runs: Runs, value: int) -> None:
    """Set `value` on a mask's runs in a C-ordered [H, W] image, run by run: a run inside
    one column is one strided slice; a longer one is its first and last partial columns
    plus the whole columns between."""
    height = image.shape[0]
    for start, end in zip(*runs, strict=True):
        if end <= start:
            continue
        first_column, first_row = divmod(start, height)
        last_column, end_row = divmod(end, height)
        if first_column == last_column:
            image[first_row:end_row, first_column] = value
            continue
        image[first_row:, first_column] = value
        if last_column > first_column + 1:
            image[:, first_column + 1 : last_column] = value
        if end_row:
            image[:end_row, last_column] = value


def compose_runs(runs: Sequence[Runs | None], height: int, width: int) -> np.ndarray:
    """Objects 1..N (None where absent) -> one [H, W] uint8 index image; where masks overlap
    the lowest index wins (painted last)."""
    indices = np.zeros((height, width), np.uint8)
    for k in range(len(runs), 0, -1):
        object_runs = runs[k - 1]
        if object_runs is not None:
            paint_runs(indices, object_runs, k)
    return indices


def compose_indices(rles: Sequence[rle_codec.Rle | None], height: int, width: int) -> np.ndarray:
    """compose_runs from RLEs."""
    runs = [None if rle is None else rle_foreground_runs(rle) for rle in rles]
    return compose_runs(runs, height, width)


def values_under(column_major: np.ndarray, runs: Runs) -> np.ndarray:
    """The values of a column-major flattened image on a mask's runs, in one gather: the
    work is per pixel of the mask, not of the image."""
    starts = np.asarray(runs[0], np.int64)
    lengths = np.asarray(runs[1], np.int64) - starts
    total = int(lengths.sum())
    # Each pixel's position: its run's start, plus its rank within the run.
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return column_major[shift + np.arange(total)]


def mask_from_rle(rle: rle_codec.Rle, *, value: int = 1) -> np.ndarray:
    """[H, W] uint8 image, `value` on the mask and 0 elsewhere."""
    height, width = rle["size"]
    image = np.zeros((height, width), np.uint8)
    paint_rle(image, rle, value)
    return image


def read_png_indices(data: bytes, *, name: str, target: TargetVideo) -> np.ndarray:
    """A palette or grayscale PNG -> [H, W] uint8 indices, refusing a size other than the
    video's before any pixel is decoded (a small file can declare a huge image)."""
    try:
        image = Image.open(io.BytesIO(data))
        size = image.size
    except Exception as exc:  # noqa: BLE001 -- Pillow raises many types for broken files
        raise FormatError(f"{name} is not a readable PNG.") from exc
    if image.format != "PNG":
        raise FormatError(f"{name} is not a PNG.")
    if size != (target.width, target.height):
        raise FormatError(
            f"{name} is {size[0]}x{size[1]}, the video is {target.width}x{target.height}.",
            extra={"file": name},
        )
    if image.mode not in ("P", "L", "1"):
        raise FormatError(
            f"{name} is a {image.mode} image; annotations must be indexed-palette or grayscale.",
            extra={"file": name},
        )
    try:
        return np.asarray(image, dtype=np.uint8)
    except Exception as exc:  # noqa: BLE001
        raise FormatError(f"{name} could not be decoded.") from exc
