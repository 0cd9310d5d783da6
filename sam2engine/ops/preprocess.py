"""Frame pre-processing: resize to the model size and normalise (spec §2)."""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def check_rgb_uint8(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {arr.dtype} {arr.shape}")
    return arr


def resize_frame_cv2(frame: np.ndarray, size: int) -> np.ndarray:
    """uint8 HxWx3 -> uint8 size x size x 3 with OpenCV (aspect ratio not kept, as the
    model expects). Area averaging (OpenCV's anti-aliased filter) when any axis shrinks,
    bicubic when both grow; this tracks the official PIL-bicubic loader closely (mean
    error about half a grey level, see tests). Frames already at size pass unchanged."""
    h, w = frame.shape[:2]
    if (h, w) == (size, size):
        return frame
    interp = cv2.INTER_AREA if (h > size or w > size) else cv2.INTER_CUBIC
    return cv2.resize(frame, (size, size), interpolation=interp)


def normalize_uint8(
    frames: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]
) -> torch.Tensor:
    """[B, S, S, 3] uint8 (any device) -> [B, 3, S, S] float32 normalised."""
    x = frames.permute(0, 3, 1, 2).float() / 255.0
    m = torch.tensor(mean, dtype=torch.float32, device=x.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32, device=x.device).view(1, 3, 1, 1)
    return (x - m) / s


def preprocess_image_antialias(
    image: np.ndarray,
    size: int,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    device: torch.device,
) -> torch.Tensor:
    """Image-predictor path: float [0, 1], bilinear antialiased resize, normalise
    ([1, 3, S, S]); bit-identical to the official torchvision transform."""
    x = (
        torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
        .to(device)
        .float()
        .div(255)[None]
    )
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    m = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
    return (x - m) / s
