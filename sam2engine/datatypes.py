"""Public result types."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch


class FrameMasks(NamedTuple):
    """Masks of every object on one frame, at video resolution.

    Unpacks as ``frame_index, object_ids, mask_logits, object_scores``.
    """

    frame_index: int
    object_ids: list[Any]  # caller ids, in object-index order
    mask_logits: torch.Tensor  # [N, H, W] float32 logits on CPU; threshold at 0
    object_scores: (
        torch.Tensor
    )  # [N] float32 object-score logits (> 0: present); NaN if no output yet

    def binary_masks(self) -> torch.Tensor:
        """[N, H, W] bool."""
        return self.mask_logits > 0
