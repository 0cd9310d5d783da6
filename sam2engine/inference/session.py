"""Streaming video sessions (spec §8), with bounded memory.

Tracking semantics follow the official per-object ``SAM2VideoPredictor`` (sam2 1.1.0):
each object has its own conditioning frames, memories and pointers; objects never
interact. Differences, all deliberate:

* Corrections on tracked frames become conditioning frames by default
  (``corrections_as_conditioning=True``), so they survive re-propagation.
* Memory is always assembled and attended in float32 (memories are *stored* rounded
  to bfloat16 as in the official code), so frames without any object pointer work.
* Hole filling runs on every device (OpenCV connected components).
* Frames are read lazily from the source; backbone features live in a small LRU; per
  object only conditioning outputs and the most recent ``retained_outputs``
  non-conditioning outputs (the memory / pointer window) are kept, unless
  ``retain_all_outputs=True`` (official retention, used by the parity replay so that
  arbitrary call sequences can be compared).
* Objects that need the same memory layout on a frame are tracked in one batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sam2engine.datatypes import FrameMasks
from sam2engine.device import autocast_context
from sam2engine.modeling.sam2 import NO_OBJ_SCORE, BackboneFeatures, HeadsOutput, SAM2Model
from sam2engine.ops.holes import fill_holes
from sam2engine.ops.preprocess import check_rgb_uint8 as _check_rgb_uint8
from sam2engine.ops.preprocess import normalize_uint8, resize_frame_cv2

Observer = Callable[[str, dict[str, Any]], None]


class SessionError(ValueError):
    """Invalid call on a video session (bad frame index, unknown object, bad prompt)."""


@dataclass
class FrameOutput:
    """What is kept of one object's result on one frame."""

    low_res_logits: torch.Tensor  # [1, 1, 4E, 4E] float32, after hole filling
    obj_ptr: torch.Tensor  # [1, C] float32
    object_score: torch.Tensor  # [1, 1] float32 logit
    all_ious: torch.Tensor  # [1, 4] IoU predictions of the decoder run (diagnostics)
    maskmem: torch.Tensor | None = None  # [1, M, E, E] bfloat16 memory features
    holes_filled: int = 0  # low-res pixels changed by hole filling


@dataclass
class ObjectState:
    """Per-object tracking state (one memory bank per object)."""

    obj_id: Any
    cond: dict[int, FrameOutput] = field(
        default_factory=dict
    )  # conditioning frames, insertion order
    non_cond: OrderedDict[int, FrameOutput] = field(default_factory=OrderedDict)  # bounded window
    pending_cond: dict[int, FrameOutput] = field(
        default_factory=dict
    )  # prompts since last propagation
    pending_non_cond: dict[int, FrameOutput] = field(default_factory=dict)
    points: dict[int, tuple[torch.Tensor, torch.Tensor]] = field(
        default_factory=dict
    )  # model space
    mask_frames: set[int] = field(default_factory=set)
    tracked: dict[int, bool] = field(default_factory=dict)  # frame -> tracked in reverse

    def output_on(self, frame: int, pending_cond_first: bool = True) -> FrameOutput | None:
        """Latest output on ``frame``: prompts since the last propagation (the kind named
        first), then stored outputs."""
        pending = (
            (self.pending_cond, self.pending_non_cond)
            if pending_cond_first
            else (self.pending_non_cond, self.pending_cond)
        )
        for store in (pending[0], self.cond, self.non_cond, pending[1]):
            out = store.get(frame)
            if out is not None:
                return out
        return None

    def stored(self, frame: int) -> FrameOutput | None:
        """Output usable as memory/pointer (official ``output_dict``: no pending outputs)."""
        return self.cond.get(frame) or self.non_cond.get(frame)


def check_rgb_uint8(frame: Any) -> np.ndarray:
    try:
        return _check_rgb_uint8(frame)
    except ValueError as exc:
        raise SessionError(f"bad frame: {exc}") from None


def _as_frame_source(source: Any) -> Any:
    if isinstance(source, (str, Path)):
        from sam2engine.inference.frames import open_frames

        return open_frames(source)
    if not hasattr(source, "__len__") or not hasattr(source, "__getitem__"):
        raise SessionError(
            "frames must be a path or an indexable sequence of HxWx3 uint8 RGB frames"
        )
    return source


class VideoSession:
    """One video being annotated. Create with :meth:`VideoPredictor.start_session`.

    Options:
        frames: a folder of JPEGs or a video file (opened lazily with
            :func:`sam2engine.inference.frames.open_frames`), or any object with ``len()``
            and ``[i]`` returning HxWx3 uint8 RGB frames.
        precision: "auto" (bfloat16 autocast on CUDA), "float32" or "bfloat16".
        corrections_as_conditioning: a prompt on an already tracked frame makes it a
            conditioning frame (default True; the official default is False).
        feature_cache_size: frames whose backbone features are kept (LRU).
        retained_outputs: tracked outputs kept per object (at least the pointer window,
            15 frames with the shipped configs); memory features only on the newest
            ``num_maskmem`` of them.
        retain_all_outputs: keep every tracked output and memory, as the official code
            does (unbounded; used by the parity replay).
        fill_hole_area: hole-filling area on low-res logits (default from the config, 8).
        video_size: (H, W) of the video when ``frames`` are already at the model size.
        non_overlap_masks: give each pixel only to its highest-scoring object in outputs.
        image_encoder: replacement for ``model.forward_image`` (e.g. a compiled one).
    """

    def __init__(
        self,
        model: SAM2Model,
        frames: Sequence[np.ndarray] | str | Path,
        *,
        precision: str = "auto",
        corrections_as_conditioning: bool = True,
        feature_cache_size: int = 4,
        retained_outputs: int | None = None,
        retain_all_outputs: bool = False,
        fill_hole_area: int | None = None,
        video_size: tuple[int, int] | None = None,
        non_overlap_masks: bool | None = None,
        image_encoder: Callable[[torch.Tensor], BackboneFeatures] | None = None,
    ) -> None:
        self.model = model
        self.cfg = model.cfg
        self.frames = _as_frame_source(frames)
        self.num_frames = len(self.frames)
        if self.num_frames == 0:
            raise SessionError("the video has no frames")
        # ``video_size`` lets a caller feed frames already resized to the model input
        # (S x S) while prompts and outputs stay in original video pixels.
        if video_size is not None:
            self.video_hw = (int(video_size[0]), int(video_size[1]))
        else:
            first = check_rgb_uint8(self.frames[0])
            self.video_hw = (int(first.shape[0]), int(first.shape[1]))
        self.precision = precision
        self.corrections_as_conditioning = corrections_as_conditioning
        self.fill_hole_area = (
            self.cfg.video.fill_hole_area if fill_hole_area is None else fill_hole_area
        )
        self.non_overlap_masks = (
            self.cfg.video.non_overlap_masks if non_overlap_masks is None else non_overlap_masks
        )
        o = self.cfg.model
        window = max(o.num_maskmem - 1, o.max_obj_ptrs_in_encoder - 1) * max(
            o.memory_temporal_stride_for_eval, 1
        )
        self.retained_outputs = max(
            retained_outputs if retained_outputs is not None else window, window
        )
        self.retain_all_outputs = retain_all_outputs
        self.feature_cache_size = max(1, feature_cache_size)
        self._features: OrderedDict[int, BackboneFeatures] = OrderedDict()
        self._encode = image_encoder or model.forward_image
        self.objects: list[ObjectState] = []
        self.observer: Observer | None = None
        self.features_computed = 0  # backbone runs (diagnostics / tests)

    # ------------------------------------------------------------------ basics
    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def object_ids(self) -> list[Any]:
        return [o.obj_id for o in self.objects]

    def _emit(self, event: str, **data: Any) -> None:
        if self.observer is not None:
            self.observer(event, data)

    def _check_frame(self, frame: int) -> int:
        if not isinstance(frame, (int, np.integer)) or isinstance(frame, bool):
            raise SessionError(f"frame index must be an int, got {frame!r}")
        if not 0 <= frame < self.num_frames:
            raise SessionError(f"frame {frame} out of range (video has {self.num_frames} frames)")
        return int(frame)

    def _object(self, obj_id: Any, create: bool) -> tuple[int, ObjectState]:
        for i, o in enumerate(self.objects):
            if o.obj_id == obj_id:
                return i, o
        if not create:
            raise SessionError(f"unknown object id {obj_id!r}")
        self.objects.append(ObjectState(obj_id))
        return len(self.objects) - 1, self.objects[-1]

    def model_input(self, frame: int) -> torch.Tensor:
        """[1, 3, S, S] normalised model input of a frame (OpenCV resize if needed)."""
        img = check_rgb_uint8(self.frames[frame])
        s = self.cfg.image_size
        if img.shape[:2] != self.video_hw and img.shape[:2] != (s, s):
            raise SessionError(f"frame {frame} is {img.shape[:2]}, expected {self.video_hw}")
        img = resize_frame_cv2(img, self.cfg.image_size)
        t = torch.from_numpy(np.ascontiguousarray(img)).to(self.device)[None]
        p = self.cfg.preprocessing
        return normalize_uint8(t, p.pixel_mean, p.pixel_std)

    def features(self, frame: int) -> BackboneFeatures:
        """Backbone features of a frame, from a bounded LRU cache."""
        feats = self._features.get(frame)
        if feats is not None:
            self._features.move_to_end(frame)
            return feats
        x = self.model_input(frame)
        with autocast_context(self.device, self.precision):
            raw = self._encode(x)
        feats = BackboneFeatures(
            [t.float() for t in raw.high_res], raw.vision.float(), raw.vision_pos.float()
        )
        self.features_computed += 1
        self._features[frame] = feats
        while len(self._features) > self.feature_cache_size:
            self._features.popitem(last=False)
        return feats

    # ------------------------------------------------------------------ prompts
    @torch.inference_mode()
    def add_prompt(
        self,
        frame: int,
        obj_id: Any,
        points: Any = None,
        labels: Any = None,
        box: Any = None,
        clear_old: bool = True,
        normalize_coords: bool = True,
    ) -> FrameMasks:
        """Add clicks and/or a box for one object on one frame; returns all objects' masks there.

        points (N, 2) as (x, y) and labels (N,) (1 positive, 0 negative), in video pixels
        (or fractions of width/height with ``normalize_coords=False``); box (x0, y0, x1, y1).
        With ``clear_old=False`` the clicks are added to the frame's earlier ones.
        """
        frame = self._check_frame(frame)
        if (points is None) != (labels is None):
            raise SessionError("points and labels must be given together")
        if points is None and box is None:
            raise SessionError("give points with labels, or a box")
        dev = self.device
        if points is not None:
            pts = torch.as_tensor(np.asarray(points, dtype=np.float32)).reshape(-1, 2)
            lab = torch.as_tensor(np.asarray(labels, dtype=np.int32)).reshape(-1)
            if pts.shape[0] == 0 and box is None:
                raise SessionError("empty points: give at least one click or a box")
            if pts.shape[0] != lab.shape[0]:
                raise SessionError(f"{pts.shape[0]} points but {lab.shape[0]} labels")
            if lab.numel() and not bool(((lab >= -1) & (lab <= 3)).all()):
                raise SessionError(
                    "labels must be 1 (positive) or 0 (negative); 2/3 are box corners, -1 padding"
                )
        else:
            pts, lab = torch.zeros(0, 2), torch.zeros(0, dtype=torch.int32)
        if box is not None:
            if not clear_old:
                raise SessionError(
                    "a box can only be given with clear_old=True (it replaces earlier clicks)"
                )
            b = torch.as_tensor(np.asarray(box, dtype=np.float32)).reshape(-1)
            if b.numel() != 4:
                raise SessionError("box must be (x0, y0, x1, y1)")
            pts = torch.cat([b.reshape(2, 2), pts], dim=0)
            lab = torch.cat([torch.tensor([2, 3], dtype=torch.int32), lab], dim=0)
        pts, lab = pts[None], lab[None]
        if normalize_coords:
            h, w = self.video_hw
            pts = pts / torch.tensor([w, h], dtype=torch.float32)
        pts = (pts * self.cfg.image_size).to(dev)
        lab = lab.to(dev)
        _, obj = self._object(obj_id, create=True)
        if not clear_old and frame in obj.points:
            old_pts, old_lab = obj.points[frame]
            pts, lab = torch.cat([old_pts, pts], dim=1), torch.cat([old_lab, lab], dim=1)
        obj.points[frame] = (pts, lab)
        obj.mask_frames.discard(frame)

        is_init = frame not in obj.tracked
        reverse = False if is_init else obj.tracked[frame]
        as_cond = is_init or self.corrections_as_conditioning
        prev = (obj.pending_cond if as_cond else obj.pending_non_cond).get(frame) or obj.stored(
            frame
        )
        prev_logits = (
            None if prev is None else torch.clamp(prev.low_res_logits.to(dev), -32.0, 32.0)
        )
        feats = self.features(frame)
        with autocast_context(dev, self.precision):
            if is_init:
                pix = self.model.no_memory_features(feats.vision)
            else:
                pix = self._memory_conditioned(frame, [obj], feats, reverse)
            heads = self.model.sam_heads(
                pix,
                feats.high_res,
                (pts, lab),
                prev_logits,
                self.model.use_multimask(is_init, pts.shape[1]),
            )
        out = self._finish(heads, 0, maskmem=None)
        (obj.pending_cond if as_cond else obj.pending_non_cond)[frame] = out
        (obj.pending_non_cond if as_cond else obj.pending_cond).pop(frame, None)
        self._emit("prompt", frame=frame, obj_id=obj_id, output=out, heads=heads, as_cond=as_cond)
        return self._frame_masks(frame, pending_cond_first=as_cond)

    def add_points(
        self, frame: int, obj_id: Any, points: Any, labels: Any, clear_old: bool = True
    ) -> FrameMasks:
        return self.add_prompt(frame, obj_id, points=points, labels=labels, clear_old=clear_old)

    def add_box(self, frame: int, obj_id: Any, box: Any) -> FrameMasks:
        return self.add_prompt(frame, obj_id, box=box)

    @torch.inference_mode()
    def add_mask(self, frame: int, obj_id: Any, mask: Any) -> FrameMasks:
        """Give an object's mask (H x W bool, any size; resized to the model size) on a frame."""
        frame = self._check_frame(frame)
        m = torch.as_tensor(np.asarray(mask)).to(torch.bool)
        if m.dim() != 2 or m.numel() == 0:
            raise SessionError("mask must be a non-empty 2D boolean array")
        dev = self.device
        s = self.cfg.image_size
        m = m[None, None].float().to(dev)
        if m.shape[-2:] != (s, s):
            m = F.interpolate(m, size=(s, s), mode="bilinear", align_corners=False, antialias=True)
            m = (m >= 0.5).float()
        _, obj = self._object(obj_id, create=True)
        obj.points.pop(frame, None)
        obj.mask_frames.add(frame)
        is_init = frame not in obj.tracked
        as_cond = is_init or self.corrections_as_conditioning
        feats = self.features(frame)
        with autocast_context(dev, self.precision):
            heads = self.model.mask_as_output(feats.vision, feats.high_res, m)
        out = self._finish(heads, 0, maskmem=None)
        (obj.pending_cond if as_cond else obj.pending_non_cond)[frame] = out
        (obj.pending_non_cond if as_cond else obj.pending_cond).pop(frame, None)
        self._emit("prompt", frame=frame, obj_id=obj_id, output=out, heads=heads, as_cond=as_cond)
        return self._frame_masks(frame, pending_cond_first=as_cond)

    def clear_frame_prompts(self, frame: int, obj_id: Any) -> FrameMasks:
        """Drop an object's prompts on a frame; a conditioning output becomes a tracked one."""
        frame = self._check_frame(frame)
        _, obj = self._object(obj_id, create=False)
        obj.points.pop(frame, None)
        obj.mask_frames.discard(frame)
        obj.pending_cond.pop(frame, None)
        obj.pending_non_cond.pop(frame, None)
        out = obj.cond.pop(frame, None)
        if out is not None:
            # No longer a conditioning frame: keep its output as a tracked one, and let the
            # next prompt there count as an initial prompt again (official behaviour).
            self._store_non_cond(obj, frame, out)
            obj.tracked.pop(frame, None)
        return self._frame_masks(frame)

    def remove_object(self, obj_id: Any) -> None:
        """Forget an object entirely; the remaining objects keep their state."""
        idx, _ = self._object(obj_id, create=False)
        del self.objects[idx]

    def reset(self) -> None:
        """Remove all objects and prompts (the frame source and feature cache stay)."""
        self.objects.clear()

    def close(self) -> None:
        self.reset()
        self._features.clear()
        close = getattr(self.frames, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------------ propagation
    @torch.inference_mode()
    def propagate(
        self, start_frame: int | None = None, reverse: bool = False, max_frames: int | None = None
    ) -> Iterator[FrameMasks]:
        """Track every object frame by frame; yields :class:`FrameMasks` per frame.

        Starts at ``start_frame`` (default: the earliest conditioning frame of any object)
        and runs up to ``max_frames`` frames beyond it, forward or in reverse. The
        generator can be abandoned at any point; the state stays consistent.
        """
        self._preflight()
        if start_frame is None:
            start_frame = min(f for o in self.objects for f in o.cond)
        start_frame = self._check_frame(start_frame)
        limit = self.num_frames if max_frames is None else int(max_frames)
        if limit < 0:
            raise SessionError("max_frames must be >= 0")
        if reverse:
            end = max(start_frame - limit, 0)
            order = range(start_frame, end - 1, -1) if start_frame > 0 else range(0)
        else:
            end = min(start_frame + limit, self.num_frames - 1)
            order = range(start_frame, end + 1)
        for frame in order:
            yield self._propagate_frame(frame, reverse)

    def _preflight(self) -> None:
        if not self.objects:
            raise SessionError("add a prompt before propagating")
        for obj in self.objects:
            if not obj.cond and not obj.pending_cond:
                raise SessionError(f"object {obj.obj_id!r} has no prompt on any frame")
        dev = self.device
        s = self.cfg.image_size
        for obj in self.objects:
            for pending, as_cond in ((obj.pending_non_cond, False), (obj.pending_cond, True)):
                for frame, out in pending.items():
                    if out.maskmem is None:
                        feats = self.features(frame)
                        high = F.interpolate(
                            out.low_res_logits.to(dev),
                            size=(s, s),
                            mode="bilinear",
                            align_corners=False,
                        )
                        with autocast_context(dev, self.precision):
                            mem = self.model.encode_memory(
                                feats.vision, high, out.object_score.to(dev), is_mask_from_pts=True
                            )
                        out.maskmem = mem.to(torch.bfloat16)
                    if as_cond:
                        obj.cond[frame] = out  # an existing cond frame keeps its dict position
                    else:
                        self._store_non_cond(obj, frame, out)
                    self._emit(
                        "preflight", frame=frame, obj_id=obj.obj_id, output=out, as_cond=as_cond
                    )
                pending.clear()
            for frame in obj.cond:
                obj.non_cond.pop(frame, None)

    def _store_non_cond(self, obj: ObjectState, frame: int, out: FrameOutput) -> None:
        """Store a tracked output. Bounded mode keeps the newest ``retained_outputs``
        (pointer window, default 15) and memory features only on the newest
        ``num_maskmem`` of them: a sequential pass only reads the 6 previous frames'
        memories, plus the current frame's for a correction there."""
        obj.non_cond.pop(frame, None)
        obj.non_cond[frame] = out
        if self.retain_all_outputs:
            return
        while len(obj.non_cond) > self.retained_outputs:
            obj.non_cond.popitem(last=False)
        keep_mem = self.cfg.model.num_maskmem * max(
            self.cfg.model.memory_temporal_stride_for_eval, 1
        )
        if len(obj.non_cond) > keep_mem:
            # Only the entry that just fell out of the memory window can still hold one.
            older = list(obj.non_cond.values())[-keep_mem - 1]
            older.maskmem = None

    def _propagate_frame(self, frame: int, reverse: bool) -> FrameMasks:
        feats = self.features(frame)
        to_track = [o for o in self.objects if frame not in o.cond]
        # Group objects whose memory has the same layout, so each group is one batch.
        groups: dict[tuple[int, int], list[ObjectState]] = {}
        plans = {}
        for obj in to_track:
            plan = self._memory_plan(frame, obj, reverse)
            plans[id(obj)] = plan
            groups.setdefault(plan.signature, []).append(obj)
        for objs in groups.values():
            outs = self._track_batch(frame, objs, feats, reverse, [plans[id(o)] for o in objs])
            for obj, out in zip(objs, outs, strict=True):
                self._store_non_cond(obj, frame, out)
                self._emit("track", frame=frame, obj_id=obj.obj_id, output=out, reverse=reverse)
        for obj in self.objects:
            obj.tracked[frame] = reverse
        return self._frame_masks(frame, stored_only=True)

    def _track_batch(
        self,
        frame: int,
        objs: list[ObjectState],
        feats: BackboneFeatures,
        reverse: bool,
        plans: list[_MemoryPlan],
    ) -> list[FrameOutput]:
        b = len(objs)
        dev = self.device
        with autocast_context(dev, self.precision):
            vision = feats.vision.expand(b, -1, -1, -1)
            pix = self._attend(frame, objs, feats, plans)
            high_res = [t.expand(b, -1, -1, -1) for t in feats.high_res]
            heads = self.model.sam_heads(
                pix, high_res, None, None, self.model.use_multimask(False, 0)
            )
            mem = self.model.encode_memory(
                vision, heads.high_res_masks, heads.object_score_logits, is_mask_from_pts=False
            )
        mem = mem.to(torch.bfloat16)
        return [self._finish(heads, i, maskmem=mem[i : i + 1]) for i in range(b)]

    # ------------------------------------------------------------------ memory
    def _memory_conditioned(
        self, frame: int, objs: list[ObjectState], feats: BackboneFeatures, reverse: bool
    ) -> torch.Tensor:
        plans = [self._memory_plan(frame, o, reverse) for o in objs]
        return self._attend(frame, objs, feats, plans)

    def _attend(
        self, frame: int, objs: list[ObjectState], feats: BackboneFeatures, plans: list[_MemoryPlan]
    ) -> torch.Tensor:
        memory = torch.stack([p.memory for p in plans])
        memory_pos = torch.stack([p.memory_pos for p in plans])
        b = len(objs)
        vision = feats.vision.expand(b, -1, -1, -1)
        vision_pos = feats.vision_pos.expand(b, -1, -1, -1)
        out = self.model.condition_on_memory(
            vision, vision_pos, memory, memory_pos, plans[0].num_ptr_tokens
        )
        if self.observer is not None:
            self._emit(
                "memory_attention",
                frame=frame,
                obj_ids=[o.obj_id for o in objs],
                memory=memory,
                memory_pos=memory_pos,
                num_obj_ptr_tokens=plans[0].num_ptr_tokens,
                curr=vision.flatten(2).transpose(1, 2),
                curr_pos=vision_pos.flatten(2).transpose(1, 2),
                output=out.flatten(2).transpose(1, 2),
            )
        return out

    def _select_cond(
        self, frame: int, obj: ObjectState
    ) -> tuple[dict[int, FrameOutput], dict[int, FrameOutput]]:
        """Conditioning frames used in attention (all with max_cond_frames_in_attn = -1)."""
        limit = self.cfg.model.max_cond_frames_in_attn
        cond = obj.cond
        if limit == -1 or len(cond) <= limit:
            return cond, {}
        selected: dict[int, FrameOutput] = {}
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

    def _memory_plan(self, frame: int, obj: ObjectState, reverse: bool) -> _MemoryPlan:
        """Assemble one object's memory tokens for ``frame`` (spec §8.6), float32."""
        o = self.cfg.model
        dev = self.device
        n_mem = o.num_maskmem
        stride = max(o.memory_temporal_stride_for_eval, 1)
        selected, unselected = self._select_cond(frame, obj)
        entries: list[tuple[int, FrameOutput]] = [(0, out) for out in selected.values()]
        for t_pos in range(1, n_mem):
            t_rel = n_mem - t_pos
            if t_rel == 1:
                prev = frame + t_rel if reverse else frame - t_rel
            elif not reverse:
                prev = ((frame - 2) // stride) * stride - (t_rel - 2) * stride
            else:
                prev = -(-(frame + 2) // stride) * stride + (t_rel - 2) * stride
            out = obj.non_cond.get(prev) or unselected.get(prev)
            if out is not None:
                entries.append((t_pos, out))
        mem_pe = self.model.memory_pos_enc(dev).flatten(2).transpose(1, 2)[0]  # [E², M]
        feats, pos = [], []
        for t_pos, out in entries:
            if out.maskmem is None:
                continue
            feats.append(out.maskmem[0].to(dev).float().flatten(1).transpose(0, 1))
            pos.append(mem_pe + self.model.maskmem_tpos_enc[n_mem - t_pos - 1].reshape(1, -1))
        num_ptr_tokens = 0
        if o.use_obj_ptrs_in_encoder:
            max_ptrs = min(self.num_frames, o.max_obj_ptrs_in_encoder)
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
                    v.obj_ptr,
                )
                for t, v in ptr_cond.items()
            ]
            for d in range(1, max_ptrs):
                t = frame + d if reverse else frame - d
                if t < 0 or t >= self.num_frames:
                    break
                out = obj.non_cond.get(t) or unselected.get(t)
                if out is not None:
                    ptrs.append((d, out.obj_ptr))
            if ptrs:
                c, m = self.cfg.hidden_dim, self.cfg.mem_dim
                ptr = torch.cat([p for _, p in ptrs], dim=0).to(dev).float()  # [P, C]
                ptr_pos = self.model.pointer_pos_enc(
                    [d for d, _ in ptrs], max_ptrs - 1, dev
                ).float()
                if m < c:
                    ptr = ptr.reshape(-1, c // m, m).flatten(0, 1)
                    ptr_pos = ptr_pos.repeat_interleave(c // m, dim=0)
                feats.append(ptr)
                pos.append(ptr_pos)
                num_ptr_tokens = ptr.shape[0]
        memory = torch.cat(feats, dim=0)
        memory_pos = torch.cat(pos, dim=0)
        return _MemoryPlan(memory, memory_pos, num_ptr_tokens)

    # ------------------------------------------------------------------ outputs
    def _finish(self, heads: HeadsOutput, i: int, maskmem: torch.Tensor | None) -> FrameOutput:
        low = heads.low_res_masks[i : i + 1].float()
        filled = 0
        if self.fill_hole_area > 0:
            low, filled = fill_holes(low, self.fill_hole_area)
        return FrameOutput(
            low_res_logits=low,
            obj_ptr=heads.obj_ptr[i : i + 1].float(),
            object_score=heads.object_score_logits[i : i + 1].float(),
            all_ious=heads.all_ious[i : i + 1].float(),
            maskmem=maskmem,
            holes_filled=filled,
        )

    def _frame_masks(
        self, frame: int, stored_only: bool = False, pending_cond_first: bool = True
    ) -> FrameMasks:
        """All objects' logits on ``frame`` at video resolution (-1024 where none)."""
        h, w = self.video_hw
        n = len(self.objects)
        logits = torch.full((n, h, w), NO_OBJ_SCORE, dtype=torch.float32)
        scores = torch.full((n,), float("nan"), dtype=torch.float32)
        for i, obj in enumerate(self.objects):
            out = obj.stored(frame) if stored_only else obj.output_on(frame, pending_cond_first)
            if out is None:
                continue
            logits[i] = F.interpolate(
                out.low_res_logits, size=(h, w), mode="bilinear", align_corners=False
            )[0, 0].cpu()
            scores[i] = out.object_score.reshape(()).cpu()
        if self.non_overlap_masks and n > 1:
            # Each pixel keeps only its highest-scoring object; the others are pushed to <= -10.
            keep = logits.argmax(dim=0, keepdim=True) == torch.arange(n)[:, None, None]
            logits = torch.where(keep, logits, logits.clamp(max=-10.0))
        return FrameMasks(frame, self.object_ids, logits, scores)

    # ------------------------------------------------------------------ introspection
    def stats(self) -> dict[str, int]:
        """Counts of what the session holds (bounded-memory checks)."""
        return {
            "cached_features": len(self._features),
            "objects": len(self.objects),
            "cond_outputs": sum(len(o.cond) for o in self.objects),
            "non_cond_outputs": sum(len(o.non_cond) for o in self.objects),
            "memories": sum(
                1
                for o in self.objects
                for s in (o.cond, o.non_cond)
                for v in s.values()
                if v.maskmem is not None
            ),
            "features_computed": self.features_computed,
        }


@dataclass
class _MemoryPlan:
    memory: torch.Tensor  # [T, M] float32: spatial memories then pointer tokens
    memory_pos: torch.Tensor  # [T, M]
    num_ptr_tokens: int

    @property
    def signature(self) -> tuple[int, int]:
        return (self.memory.shape[0], self.num_ptr_tokens)
