"""Automatic mask generation (official ``SAM2AutomaticMaskGenerator`` semantics)."""

from sam2engine.automatic.generator import (
    AutomaticMask,
    AutomaticMaskError,
    AutomaticMaskGenerator,
    AutomaticMaskSettings,
)
from sam2engine.automatic.rle import CocoRle, UncompressedRle

__all__ = [
    "AutomaticMask",
    "AutomaticMaskError",
    "AutomaticMaskGenerator",
    "AutomaticMaskSettings",
    "CocoRle",
    "UncompressedRle",
]
