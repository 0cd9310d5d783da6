"""Deterministic masks for the DAVIS 2017 metric tests (pure numpy formulas, no RNG, so the
same arrays come out on any numpy version). The expected values in test_metrics.py were produced
by running the official davis2017-evaluation metrics.py on exactly these arrays."""

import numpy as np


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:height, 0:width]


def ellipse(height: int, width: int, cy: float, cx: float, ry: float, rx: float) -> np.ndarray:
    y, x = _grid(height, width)
    return (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1).astype(np.uint8)


def rectangle(height: int, width: int, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def texture(height: int, width: int, a: int, b: int, modulo: int, cut: int) -> np.ndarray:
    """A busy pattern with many boundaries: ((a*x + b*y) mod modulo) < cut."""
    y, x = _grid(height, width)
    return (((a * x + b * y) % modulo) < cut).astype(np.uint8)


def cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (annotation, segmentation)."""
    ring_outer = ellipse(100, 100, 50, 50, 30, 30)
    ring = ring_outer & (1 - ellipse(100, 100, 50, 50, 15, 15))
    return {
        "ellipse_shifted": (
            ellipse(48, 64, 24, 30, 12, 18),
            ellipse(48, 64, 26, 33, 12, 18),
        ),
        "square_vs_disk": (
            rectangle(120, 160, 30, 50, 90, 110),
            ellipse(120, 160, 62, 82, 33, 33),
        ),
        "ring_vs_disk": (ring, ring_outer),
        "border_halves": (
            rectangle(64, 80, 0, 0, 64, 40),
            rectangle(64, 80, 0, 0, 64, 39) | texture(64, 80, 1, 0, 9, 2),
        ),
        "texture": (
            texture(60, 90, 1, 2, 29, 13),
            texture(60, 90, 1, 3, 29, 13),
        ),
        "davis_size": (
            ellipse(480, 854, 240, 400, 150, 260),
            ellipse(480, 854, 236, 409, 146, 255) | rectangle(480, 854, 380, 600, 420, 700),
        ),
    }
