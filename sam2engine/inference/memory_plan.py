"""Which memories and object pointers one object attends to on a frame (spec §8.6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from sam2engine.inference.outputs import FrameOutput, OutputRef
from sam2engine.inference.state import ObjectState
from sam2engine.modeling.sam2 import SAM2Model


@dataclass
class MemoryPlan:
    memory: torch.Tensor  # [T, M] float32: spatial memories then pointer tokens
    memory_pos: torch.Tensor  # [T, M]
    num_ptr_tokens: int

    @property
    def signature(self) -> tuple[int, int]:
        """Objects with equal signatures can be attended in one batch."""
        return (self.memory.shape[0], self.num_ptr_tokens)


def select_cond(
    model: SAM2Model, frame: int, obj: ObjectState
) -> tuple[dict[int, OutputRef], dict[int, OutputRef]]:
    """Conditioning frames used in attention (all with max_cond_frames_in_attn = -1), and
    the others (usable like tracked frames)."""
    limit = model.cfg.model.max_cond_frames_in_attn
    cond = obj.cond
    if limit == -1 or len(cond) <= limit:
        return cond, {}
    selected: dict[int, OutputRef] = {}
    before = max((t for t in cond if t < frame), default=None)
    if before is not None:
        selected[before] = cond[before]
    after = min((t for t in cond if t >= frame), default=None)
    if after is not None:
        selected[after] = cond[after]
    rest = sorted((t for t in cond if t not in selected), key=lambda t: abs(t - frame))
    for t in rest[: max(limit - len(selected), 0)]:
        selected[t] = cond[t]
    return selected, {t: v for t, v in cond.items() if t not in selected}


def memory_plan(
    model: SAM2Model,
    frame: int,
    obj: ObjectState,
    reverse: bool,
    num_frames: int,
    resolve: Callable[[OutputRef], FrameOutput],
) -> MemoryPlan:
    """Assemble one object's memory tokens for ``frame``, float32. ``resolve`` turns an
    output handle into its tensors (from RAM or the output store)."""
    o = model.cfg.model
    dev = next(model.parameters()).device
    n_mem = o.num_maskmem
    stride = max(o.memory_temporal_stride_for_eval, 1)
    selected, unselected = select_cond(model, frame, obj)

    def tracked_output(t: int) -> OutputRef | None:
        ref = obj.non_cond.get(t)
        return ref if ref is not None else unselected.get(t)

    entries: list[tuple[int, OutputRef]] = [(0, ref) for ref in selected.values()]
    for t_pos in range(1, n_mem):
        t_rel = n_mem - t_pos
        if t_rel == 1:
            prev = frame + t_rel if reverse else frame - t_rel
        elif not reverse:
            prev = ((frame - 2) // stride) * stride - (t_rel - 2) * stride
        else:
            prev = -(-(frame + 2) // stride) * stride + (t_rel - 2) * stride
        ref = tracked_output(prev)
        if ref is not None:
            entries.append((t_pos, ref))
    mem_pe = model.memory_pos_enc(dev).flatten(2).transpose(1, 2)[0]  # [E², M]
    feats, pos = [], []
    for t_pos, ref in entries:
        maskmem = resolve(ref).maskmem
        if maskmem is None:
            continue
        feats.append(maskmem[0].to(dev).float().flatten(1).transpose(0, 1))
        pos.append(mem_pe + model.maskmem_tpos_enc[n_mem - t_pos - 1].reshape(1, -1))
    num_ptr_tokens = 0
    if o.use_obj_ptrs_in_encoder:
        max_ptrs = min(num_frames, o.max_obj_ptrs_in_encoder)
        if o.only_obj_ptrs_in_the_past_for_eval:
            ptr_cond = {
                t: v for t, v in selected.items() if (t >= frame if reverse else t <= frame)
            }
        else:
            ptr_cond = selected
        sign = -1 if reverse else 1
        ptrs: list[tuple[int, torch.Tensor]] = [
            (
                (frame - t) * sign if o.use_signed_tpos_enc_to_obj_ptrs else abs(frame - t),
                resolve(v).obj_ptr,
            )
            for t, v in ptr_cond.items()
        ]
        for d in range(1, max_ptrs):
            t = frame + d if reverse else frame - d
            if t < 0 or t >= num_frames:
                break
            ref = tracked_output(t)
            if ref is not None:
                ptrs.append((d, resolve(ref).obj_ptr))
        if ptrs:
            c, m = model.cfg.hidden_dim, model.cfg.mem_dim
            ptr = torch.cat([p for _, p in ptrs], dim=0).to(dev).float()  # [P, C]
            ptr_pos = model.pointer_pos_enc([d for d, _ in ptrs], max_ptrs - 1, dev).float()
            if m < c:
                ptr = ptr.reshape(-1, c // m, m).flatten(0, 1)
                ptr_pos = ptr_pos.repeat_interleave(c // m, dim=0)
            feats.append(ptr)
            pos.append(ptr_pos)
            num_ptr_tokens = ptr.shape[0]
    memory = torch.cat(feats, dim=0)
    memory_pos = torch.cat(pos, dim=0)
    return MemoryPlan(memory, memory_pos, num_ptr_tokens)
