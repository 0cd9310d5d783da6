"""sam2engine.inference.frames: lazy JPEG-folder, video-file and sequence sources."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2engine.inference.frames import (
    FrameDecodeError,
    JpegFolderFrames,
    SequenceFrames,
    VideoFileFrames,
    open_frames,
)

H, W = 48, 64


def _frame(i: int) -> np.ndarray:
    """An RGB frame whose content identifies i: a moving bar and a per-frame colour.

    Both survive lossy codecs.
    """
    img = np.zeros((H, W, 3), np.uint8)
    img[..., 0] = 200  # red channel dominant: catches a BGR/RGB mix-up
    img[..., 1] = (i * 37) % 256
    x = (i * 3) % (W - 8)
    img[:, x : x + 8, 2] = 255
    return img


def _write_jpegs(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        cv2.imwrite(
            str(folder / name),
            cv2.cvtColor(_frame(i), cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_JPEG_QUALITY, 95],
        )


def _write_video(path: Path, n: int, fourcc: str) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 25.0, (W, H))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    for i in range(n):
        writer.write(cv2.cvtColor(_frame(i), cv2.COLOR_RGB2BGR))
    writer.release()


def _sequential_decode(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


# ------------------------------------------------------------------------------------ JPEG folder


def test_jpeg_folder_numeric_order_rgb_and_shape(tmp_path: Path) -> None:
    names = [f"{i}.jpg" for i in range(12)]  # lexical order would put 10, 11 before 2
    _write_jpegs(tmp_path / "clip", names)
    (tmp_path / "clip" / "notes.txt").write_text("not a frame")
    src = open_frames(tmp_path / "clip", fps=24.0)
    assert isinstance(src, JpegFolderFrames)
    assert (len(src), src.height, src.width, src.fps) == (12, H, W, 24.0)
    for i in (11, 2, 10, 0):
        frame = src[i]
        assert frame.dtype == np.uint8
        assert frame.shape == (H, W, 3)
        assert abs(int(frame[..., 1].mean()) - (i * 37) % 256) <= 3, i  # it is frame i
        assert frame[..., 0].mean() > 190  # RGB, not BGR
    assert [int(f[..., 1].mean() + 1.5) // 37 for f in list(src)[:6]] == list(range(6))


def test_jpeg_folder_zero_padded_and_mixed_case(tmp_path: Path) -> None:
    _write_jpegs(tmp_path / "c", ["00000.JPG", "00001.jpeg", "00002.jpg"])
    src = open_frames(str(tmp_path / "c"))
    assert len(src) == 3
    assert src.fps is None
    assert abs(int(src[2][..., 1].mean()) - 74) <= 3


def test_jpeg_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such frame folder or video file"):
        open_frames(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        JpegFolderFrames(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.png").write_bytes(b"")
    with pytest.raises(ValueError, match="has no JPEG frames"):
        open_frames(tmp_path / "empty")

    _write_jpegs(tmp_path / "c", ["0.jpg", "1.jpg", "2.jpg"])
    (tmp_path / "c" / "1.jpg").write_bytes(b"\xff\xd8 truncated")
    src = open_frames(tmp_path / "c")
    with pytest.raises(FrameDecodeError, match=r"cannot decode frame 1 \(.*1.jpg\)"):
        src[1]
    cv2.imwrite(str(tmp_path / "c" / "2.jpg"), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(FrameDecodeError, match="frame 2 .* is 10x10, the first frame is 48x64"):
        src[2]
    for bad in (3, -1):
        with pytest.raises(
            IndexError, match=f"frame index {bad} out of range: the video has 3 frames"
        ):
            src[bad]
    with pytest.raises(TypeError, match="must be an integer"):
        src[1.0]  # type: ignore[index]


def test_jpeg_folder_cache_is_bounded_and_read_only(tmp_path: Path) -> None:
    _write_jpegs(tmp_path / "c", [f"{i}.jpg" for i in range(20)])
    src = JpegFolderFrames(tmp_path / "c", cache_frames=3)
    for i in range(20):
        src[i]
    assert len(src._cache) == 3
    frame = src[19]
    assert frame is src[19]  # served from the cache
    with pytest.raises(ValueError, match="read-only"):
        frame[0, 0, 0] = 1  # shared cached arrays must not be mutated by a caller


# ------------------------------------------------------------------------------------- video file


@pytest.mark.parametrize(("fourcc", "suffix"), [("mp4v", ".mp4"), ("MJPG", ".avi")])
def test_video_random_access_matches_sequential_decode(
    tmp_path: Path, fourcc: str, suffix: str
) -> None:
    path = tmp_path / f"clip{suffix}"
    n = 90
    _write_video(path, n, fourcc)
    truth = _sequential_decode(path)
    assert len(truth) == n

    src = open_frames(path)
    assert isinstance(src, VideoFileFrames)
    assert (len(src), src.height, src.width, src.fps) == (n, H, W, 25.0)
    # forward, short skip, long jump, backward, repeated: each must be exactly frame i.
    order = [0, 1, 2, 5, 6, 80, 81, 30, 29, 3, 89, 88, 40, 40, 0]
    for i in order:
        np.testing.assert_array_equal(src[i], truth[i], err_msg=f"frame {i}")
    src.close()


def test_video_reverse_pass_seeks_once_per_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clip.mp4"
    n = 100
    _write_video(path, n, "mp4v")
    truth = _sequential_decode(path)
    src = VideoFileFrames(path, max_cache_frames=16)
    seeks: list[int] = []
    real_seek = src._seek
    monkeypatch.setattr(src, "_seek", lambda i: (seeks.append(i), real_seek(i))[1])

    for i in range(n):  # forward pass: no seeks at all
        np.testing.assert_array_equal(src[i], truth[i])
    assert seeks == []
    for i in reversed(range(n)):  # reverse pass: one seek per block of 16, not one per frame
        np.testing.assert_array_equal(src[i], truth[i])
    assert len(seeks) <= math.ceil(n / 16) + 1, seeks
    assert len(src._cache) <= 16  # never more than the bound in memory


def test_video_cache_bound_follows_frame_size(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    _write_video(path, 5, "MJPG")
    src = VideoFileFrames(path, cache_bytes=3 * H * W * 3, max_cache_frames=32)
    assert src._cache.capacity == 3


def test_video_errors(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    with pytest.raises(FrameDecodeError, match="bogus.mp4"):
        open_frames(bogus)
    with pytest.raises(FileNotFoundError):
        VideoFileFrames(tmp_path / "absent.mp4")
    path = tmp_path / "clip.avi"
    _write_video(path, 4, "MJPG")
    src = open_frames(path)
    with pytest.raises(IndexError, match="frame index 4 out of range: the video has 4 frames"):
        src[4]


# --------------------------------------------------------------------------------------- sequences


def test_sequence_sources_and_laziness() -> None:
    frames = [_frame(i) for i in range(5)]
    src = open_frames(frames, fps=10.0)
    assert isinstance(src, SequenceFrames)
    assert (len(src), src.height, src.width, src.fps) == (5, H, W, 10.0)
    assert src[3] is frames[3]

    stacked = open_frames(np.stack(frames))
    np.testing.assert_array_equal(stacked[4], frames[4])

    class Lazy:
        """Makes frames on demand; counts how many were made."""

        made = 0

        def __len__(self) -> int:
            return 1000

        def __getitem__(self, i: int) -> np.ndarray:
            Lazy.made += 1
            return _frame(i)

    lazy = open_frames(Lazy())
    assert len(lazy) == 1000
    assert Lazy.made == 1  # only the first frame, for the size
    lazy[999]
    assert Lazy.made == 2


def test_sequence_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        open_frames([])
    with pytest.raises(
        FrameDecodeError, match=r"frame 0 must be a uint8 \[H, W, 3\] RGB array, got float32"
    ):
        open_frames([np.zeros((H, W, 3), np.float32)])
    with pytest.raises(ValueError, match=r"must be \[N, H, W, 3\]"):
        open_frames(np.zeros((H, W, 3), np.uint8))
    src = open_frames([_frame(0), np.zeros((H, W), np.uint8), np.zeros((H + 1, W, 3), np.uint8)])
    with pytest.raises(FrameDecodeError, match="frame 1 must be"):
        src[1]
    with pytest.raises(FrameDecodeError, match="frame 2 is 49x64, the first frame is 48x64"):
        src[2]
    with pytest.raises(TypeError, match="cannot read frames from a int"):
        open_frames(42)  # type: ignore[arg-type]


def test_open_frames_passes_sources_through(tmp_path: Path) -> None:
    src = SequenceFrames([_frame(0)])
    assert open_frames(src) is src
