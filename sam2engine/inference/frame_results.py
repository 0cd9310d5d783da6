"""From the model's heads to what a video session keeps and returns: the output it stores for
an object on a frame (:class:`FrameOutput`), and all objects' masks on a frame at video
resolution (:class:`FrameMasks`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from sam2engine.datatypes import FrameMasks
from sam2engine.inference.outputs import FrameOutput
from sam2engine.modeling.sam2 import NO_OBJ_SCORE, HeadsOutput
from sam2engine.ops.holes import fill_holes

if TYPE_CHECKING:
    from sam2engine.inference.state import ObjectState


def output_from_heads(
    heads: HeadsOutput, i: int, maskmem: torch.Tensor | None, fill_hole_area: int
) -> FrameOutput:
    """Row ``i`` of a batch of heads as an output of its own."""
    # Clones: an output owns its memory (a view would keep the whole batch alive).
    low = heads.low_res_masks[i : i + 1].float().clone()
    filled = 0
    if fill_hole_area > 0:
        low, filled = fill_holes(low, fill_hole_area)
    return FrameOutput(
        low_res_logits=low,
        obj_ptr=heads.obj_ptr[i : i + 1].float().clone(),
        object_score=heads.object_score_logits[i : i + 1].float().clone(),
        all_ious=heads.all_ious[i : i + 1].float().clone(),
        maskmem=None if maskmem is None else maskmem.clone(),
        holes_filled=filled,
    )


def frame_masks_at_video_size(
    frame: int,
    objects: Sequence[ObjectState],
    objs: Sequence[ObjectState] | None,
    output_of: Callable[[ObjectState], FrameOutput | None],
    video_hw: tuple[int, int],
    non_overlap: bool,
) -> FrameMasks:
    """The logits of ``objs`` (all ``objects`` when None) on ``frame`` at video resolution,
    -1024 where an object has no output; with ``non_overlap`` each pixel keeps only its
    highest-scoring object among all ``objects``."""
    rows = list(objects) if objs is None or non_overlap else list(objs)
    h, w = video_hw
    n = len(rows)
    logits = torch.full((n, h, w), NO_OBJ_SCORE, dtype=torch.float32)
    scores = torch.full((n,), float("nan"), dtype=torch.float32)
    for i, obj in enumerate(rows):
        out = output_of(obj)
        if out is None:
            continue
        logits[i] = F.interpolate(
            out.low_res_logits, size=(h, w), mode="bilinear", align_corners=False
        )[0, 0].cpu()
        scores[i] = out.object_score.reshape(()).cpu()
    if non_overlap and n > 1:
        # Each pixel keeps only its highest-scoring object; the others are pushed to <= -10.
        keep = logits.argmax(dim=0, keepdim=True) == torch.arange(n)[:, None, None]
        logits = torch.where(keep, logits, logits.clamp(max=-10.0))
    if objs is not None and non_overlap:
        index = [i for i, o in enumerate(rows) if any(o is x for x in objs)]
        logits, scores = logits[index], scores[index]
        rows = [rows[i] for i in index]
    return FrameMasks(frame, [o.obj_id for o in rows], logits, scores)
