"""A 1080p test video whose frames carry their own index as a visual code.

    python tests/e2e/framecode_video.py OUT.mp4 [FRAMES]

The picture is the driving clip of the fixtures, upscaled to 1920x1080 and played forwards
then backwards (real content, so frame JPEGs weigh what real 1080p frames weigh). In the top
left corner a strip of CODE_BITS black/white cells spells the frame's index in binary (least
significant bit first), between a white cell and a black cell that tell a readable code from
anything else. The browser test reads the strip back from the canvas: what it reads must be the
frame the workspace says it shows (tests/e2e/workspace.mjs, decodeFrameCode).
"""

import sys
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 1920, 1080
# Layout, in frame pixels; workspace.mjs reads the same numbers.
CELL, STEP, X0, Y0, CODE_BITS = 40, 44, 16, 16, 10
SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "videos" / "08_driving.mp4"


def _source_frames() -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(SOURCE))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR))
    capture.release()
    return frames


def _stamp(frame: np.ndarray, index: int) -> None:
    # A grey plate behind the cells keeps them apart from the picture.
    cv2.rectangle(
        frame,
        (X0 - 8, Y0 - 8),
        (X0 + STEP * (CODE_BITS + 2) + 4, Y0 + CELL + 8),
        (128, 128, 128),
        -1,
    )
    cells = [1] + [(index >> bit) & 1 for bit in range(CODE_BITS)] + [0]
    for i, on in enumerate(cells):
        x = X0 + i * STEP
        cv2.rectangle(
            frame, (x, Y0), (x + CELL - 1, Y0 + CELL - 1), (255, 255, 255) if on else (0, 0, 0), -1
        )


def main() -> None:
    out = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 180
    source = _source_frames()
    loop = source + source[-2:0:-1]  # forwards, then backwards: no jump in the picture
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 24.0, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise SystemExit("OpenCV cannot write mp4v here")
    for index in range(count):
        frame = loop[index % len(loop)].copy()
        _stamp(frame, index)
        writer.write(frame)
    writer.release()
    print(out)


if __name__ == "__main__":
    main()
