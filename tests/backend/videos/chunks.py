"""Reading a frame chunk in tests, independently of backend/videos/delivery.py."""

import struct


def unpack(data: bytes) -> tuple[int, list[bytes]]:
    """(first frame, the JPEGs) of a chunk: b"SFC1", first, count, count lengths, the JPEGs."""
    assert data[:4] == b"SFC1"
    first, count = struct.unpack_from("<II", data, 4)
    lengths = struct.unpack_from(f"<{count}I", data, 12)
    offset = 12 + 4 * count
    frames = []
    for length in lengths:
        frames.append(data[offset : offset + length])
        offset += length
    assert offset == len(data)
    return first, frames
