"""Streaming video sessions (spec §8): exact official retention in bounded RAM.

Tracking semantics follow the official per-object ``SAM2VideoPredictor`` (sam2 1.1.0)
retaining every output: each object has its own conditioning frames, memories and
pointers; objects never interact. Differences, all deliberate:

* Corrections on tracked frames become conditioning frames by default
  (``corrections_as_conditioning=True``), so they survive re-propagation.
* Memory is always assembled and attended in float32 (memories are *stored* rounded
  to bfloat16 as in the official code), so frames without any object pointer work.
* Hole filling runs on every device (OpenCV connected components).
* Frames are read lazily from the source; backbone features live in a small LRU.
* Every output is kept, but RAM holds only conditioning and pending outputs plus, per
  object, the ``ram_outputs`` most recently used tracked outputs; the others are spilled
  to an output store and read back bit-identical when needed
  (:mod:`sam2engine.inference.outputs`), so answers never depend on what is in RAM.
* State can be saved and restored, per session or per object
  (:mod:`sam2engine.inference.session_snapshots`, manifests in
  :mod:`sam2engine.inference.snapshot`).
* Objects that need the same memory layout on a frame are tracked in one batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sam2engine.datatypes import FrameMasks
from sam2engine.device import autocast_context
from sam2engine.inference.errors import SessionError
from sam2engine.inference.features import FrameFeatures
from sam2engine.inference.frame_results import frame_masks_at_video_size, output_from_heads
from sam2engine.inference.memory_plan import MemoryPlan, memory_plan
from sam2engine.inference.outputs import FrameOutput, OutputBank, OutputRef
from sam2engine.inference.prompts import prompt_tensors
from sam2engine.inference.session_snapshots import SessionSnapshots
from sam2engine.inference.state import ObjectState
from sam2engine.inference.store import OutputStore
from sam2engine.modeling.sam2 import BackboneFeatures, HeadsOutput, SAM2Model

__all__ = ["FrameOutput", "ObjectState", "SessionError", "VideoSession"]

Observer = Callable[[str, dict[str, Any]], None]

#: Tracked outputs per object kept in RAM by default: a sequential pass reads the 15
#: previous ones (pointer frames, 6 of them also memory frames), so 15 never re-read; about
#: twice that lets a correction and the passes around it find their neighbourhood resident.
DEFAULT_RAM_OUTPUTS = 32


class VideoSession(SessionSnapshots):
    """One video being annotated. Create with :meth:`VideoPredictor.start_session`, or
    from a snapshot with :meth:`restore`.

    Options:
        frames: a folder of JPEGs or a video file (opened lazily with
            :func:`sam2engine.inference.frames.open_frames`), or any object with ``len()``
            and ``[i]`` returning HxWx3 uint8 RGB frames.
        precision: "auto" (bfloat16 autocast on CUDA), "float32" or "bfloat16".
        corrections_as_conditioning: a prompt on an already tracked frame makes it a
            conditioning frame (default True; the official default is False).
        feature_cache_size: frames whose backbone features are kept (LRU).
        ram_outputs: tracked outputs per object kept in RAM (least recently used are
            spilled to ``store``); 0 spills every tracked output at once. Conditioning
            and pending outputs always stay in RAM. Results do not depend on it.
        store: where spilled outputs and snapshot outputs go
            (:class:`~sam2engine.inference.store.OutputStore`); default: a private
            temporary folder removed by :meth:`close`.
        retain_all_outputs: keep every output in RAM, never spill (unbounded; same
            results, for tests and short clips).
        fill_hole_area: hole-filling area on low-res logits (default from the config, 8).
        video_size: (H, W) of the video when ``frames`` are already at the model size.
        non_overlap_masks: give each pixel only to its highest-scoring object in outputs.
        image_encoder: replacement for ``model.forward_image`` (e.g. a compiled one).

    A session is not thread-safe: one caller at a time.
    """

    def __init__(
        self,
        model: SAM2Model,
        frames: Sequence[np.ndarray] | str | Path,
        *,
        precision: str = "auto",
        corrections_as_conditioning: bool = True,
        feature_cache_size: int = 4,
        ram_outputs: int = DEFAULT_RAM_OUTPUTS,
        store: OutputStore | None = None,
        retain_all_outputs: bool = False,
        fill_hole_area: int | None = None,
        video_size: tuple[int, int] | None = None,
        non_overlap_masks: bool | None = None,
        image_encoder: Callable[[torch.Tensor], BackboneFeatures] | None = None,
    ) -> None:
        if isinstance(ram_outputs, bool) or not isinstance(ram_outputs, int) or ram_outputs < 0:
            raise SessionError(f"ram_outputs must be an int >= 0, got {ram_outputs!r}")
        self.model = model
        self.cfg = model.cfg
        self._frames = FrameFeatures(
            model,
            frames,
            precision,
            image_encoder or model.forward_image,
            feature_cache_size,
            video_size,
        )
        self.frames = self._frames.frames
        self.num_frames = self._frames.num_frames
        self.video_hw = self._frames.video_hw
        self.precision = precision
        self.corrections_as_conditioning = corrections_as_conditioning
        self.fill_hole_area = (
            self.cfg.video.fill_hole_area if fill_hole_area is None else fill_hole_area
        )
        self.non_overlap_masks = (
            self.cfg.video.non_overlap_masks if non_overlap_masks is None else non_overlap_masks
        )
        self.retain_all_outputs = retain_all_outputs
        self._bank = OutputBank(
            self.cfg, self.device, store, None if retain_all_outputs else ram_outputs
        )
        self.objects: list[ObjectState] = []
        self.observer: Observer | None = None

    @property
    def store(self) -> OutputStore:
        """The output store (created on first use when none was given)."""
        return self._bank.store

    @property
    def ram_outputs(self) -> int | None:
        """Tracked outputs per object kept in RAM (None: all)."""
        return self._bank.window

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

    def _object(self, obj_id: Any) -> tuple[int, ObjectState]:
        for i, o in enumerate(self.objects):
            if o.obj_id == obj_id:
                return i, o
        raise SessionError(f"unknown object id {obj_id!r}")

    def _objects(self, obj_ids: Collection[Any] | None) -> list[ObjectState]:
        """The objects named (in session order), or all."""
        if obj_ids is None:
            return list(self.objects)
        if isinstance(obj_ids, (str, bytes)) or not isinstance(obj_ids, Collection):
            raise SessionError("obj_ids must be a list of object ids")
        wanted = list(obj_ids)
        if not wanted:
            raise SessionError("obj_ids is empty: name at least one object")
        for oid in wanted:
            self._object(oid)
        return [o for o in self.objects if o.obj_id in wanted]

    # ------------------------------------------------------------------ output tables
    def _value(self, ref: OutputRef) -> FrameOutput:
        """The tensors of an output, read back from the store if it was spilled."""
        return self._bank.get(ref)

    def model_input(self, frame: int) -> torch.Tensor:
        """[1, 3, S, S] normalised model input of a frame (OpenCV resize if needed)."""
        return self._frames.model_input(frame)

    def features(self, frame: int) -> BackboneFeatures:
        """Backbone features of a frame, from a bounded LRU cache."""
        return self._frames.get(frame)

    def encode_ahead(self, frame: int, cancelled: Callable[[], bool]) -> BackboneFeatures | None:
        """A frame's backbone features computed before anyone asks for them; the one call
        of a session any thread may make (it reads the frame and the model, never the
        session's state). ``cancelled`` is asked between image encoder blocks: None once it
        said stop. Give the result to :meth:`keep_features` from the session's thread."""
        return self._frames.encode_ahead(self._check_frame(frame), cancelled)

    def keep_features(self, frame: int, feats: BackboneFeatures) -> None:
        """Caches features from :meth:`encode_ahead`: the next step on the frame skips the
        image encoder (the LRU still bounds how many frames are kept)."""
        self._frames.keep(self._check_frame(frame), feats)

    def has_features(self, frame: int) -> bool:
        return self._frames.cached(frame)

    @property
    def features_computed(self) -> int:
        """Backbone runs so far (diagnostics / tests)."""
        return self._frames.computed

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
        dev = self.device
        pts, lab = prompt_tensors(
            points,
            labels,
            box,
            clear_old,
            normalize_coords,
            self.video_hw,
            self.cfg.image_size,
            dev,
        )
        obj = self._find_or_new(obj_id)
        if not clear_old and frame in obj.points:
            old_pts, old_lab = obj.points[frame]
            pts, lab = torch.cat([old_pts, pts], dim=1), torch.cat([old_lab, lab], dim=1)

        is_init = frame not in obj.tracked
        reverse = False if is_init else obj.tracked[frame]
        as_cond = is_init or self.corrections_as_conditioning
        prev = (obj.pending_cond if as_cond else obj.pending_non_cond).get(frame)
        if prev is None:
            prev = obj.stored(frame)
        prev_logits = (
            None
            if prev is None
            else torch.clamp(self._value(prev).low_res_logits.to(dev), -32.0, 32.0)
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
        # Everything that can fail (bad input, an unreadable spilled output) is behind us:
        # only now does the state change.
        obj.points[frame] = (pts, lab)
        obj.mask_frames.discard(frame)
        return self._commit_prompt(obj, frame, heads, as_cond)

    def _find_or_new(self, obj_id: Any) -> ObjectState:
        """The object, or a new one that joins the session when its first prompt commits."""
        for o in self.objects:
            if o.obj_id == obj_id:
                return o
        return ObjectState(obj_id)

    def _commit_prompt(
        self, obj: ObjectState, frame: int, heads: HeadsOutput, as_cond: bool
    ) -> FrameMasks:
        if not any(o is obj for o in self.objects):
            self.objects.append(obj)
        out = self._finish(heads, 0, maskmem=None)
        mine, other = (
            (obj.pending_cond, obj.pending_non_cond)
            if as_cond
            else (obj.pending_non_cond, obj.pending_cond)
        )
        obj.put(self._bank, mine, frame, self._bank.create(out))
        obj.pop(self._bank, other, frame)
        self._emit(
            "prompt", frame=frame, obj_id=obj.obj_id, output=out, heads=heads, as_cond=as_cond
        )
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
        obj = self._find_or_new(obj_id)
        is_init = frame not in obj.tracked
        as_cond = is_init or self.corrections_as_conditioning
        feats = self.features(frame)
        with autocast_context(dev, self.precision):
            heads = self.model.mask_as_output(feats.vision, feats.high_res, m)
        obj.points.pop(frame, None)
        obj.mask_frames.add(frame)
        return self._commit_prompt(obj, frame, heads, as_cond)

    def clear_frame_prompts(self, frame: int, obj_id: Any) -> FrameMasks:
        """Drop an object's prompts on a frame; a conditioning output becomes a tracked one."""
        frame = self._check_frame(frame)
        _, obj = self._object(obj_id)
        obj.points.pop(frame, None)
        obj.mask_frames.discard(frame)
        obj.pop(self._bank, obj.pending_cond, frame)
        obj.pop(self._bank, obj.pending_non_cond, frame)
        ref = obj.cond.pop(frame, None)
        if ref is not None:
            # No longer a conditioning frame: keep its output as a tracked one, and let the
            # next prompt there count as an initial prompt again (official behaviour).
            obj.put(self._bank, obj.non_cond, frame, ref)
            obj.tracked.pop(frame, None)
        return self._frame_masks(frame)

    def remove_object(self, obj_id: Any) -> None:
        """Forget an object entirely; the remaining objects keep their state."""
        idx, obj = self._object(obj_id)
        del self.objects[idx]
        obj.drop_all(self._bank)

    def reset(self) -> None:
        """Remove all objects and prompts (the frame source and feature cache stay)."""
        for obj in self.objects:
            obj.drop_all(self._bank)
        self.objects.clear()

    def close(self) -> None:
        """Free everything; a private output store is deleted (a given store keeps the
        outputs that snapshots refer to)."""
        self.reset()
        self._bank.close()
        self._frames.close()

    # ------------------------------------------------------------------ propagation
    @torch.inference_mode()
    def propagate(
        self,
        start_frame: int | None = None,
        reverse: bool = False,
        max_frames: int | None = None,
        obj_ids: Collection[Any] | None = None,
    ) -> Iterator[FrameMasks]:
        """Track objects frame by frame; yields :class:`FrameMasks` per frame.

        Starts at ``start_frame`` (default: the earliest conditioning frame of the tracked
        objects) and runs up to ``max_frames`` frames beyond it, forward or in reverse.
        ``obj_ids`` limits tracking to those objects (the results then hold only them);
        the others are not touched at all. The generator can be abandoned at any point;
        the state stays consistent.
        """
        objs = self._objects(obj_ids)
        self._preflight(objs)
        if start_frame is None:
            start_frame = min(f for o in objs for f in o.cond)
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
            # Objects removed or restored (replaced) meanwhile leave this run.
            objs = [o for o in objs if any(o is x for x in self.objects)]
            if not objs:
                return
            yield self._propagate_frame(frame, reverse, objs)

    @torch.inference_mode()
    def track_frame(
        self, frame: int, reverse: bool = False, obj_ids: Collection[Any] | None = None
    ) -> FrameMasks:
        """One step of :meth:`propagate`: track ``frame`` (in reverse, frame 0 too) as the
        step of a longer run reaching it would, so that a run driven frame by frame (with
        other actions between frames) equals the same calls made in one run."""
        objs = self._objects(obj_ids)
        self._preflight(objs)
        return self._propagate_frame(self._check_frame(frame), reverse, objs)

    def _preflight(self, objs: list[ObjectState]) -> None:
        if not objs:
            raise SessionError("add a prompt before propagating")
        for obj in objs:
            if not obj.cond and not obj.pending_cond:
                raise SessionError(f"object {obj.obj_id!r} has no prompt on any frame")
        dev = self.device
        s = self.cfg.image_size
        for obj in objs:
            for pending, as_cond in ((obj.pending_non_cond, False), (obj.pending_cond, True)):
                for frame, ref in list(pending.items()):
                    out = self._value(ref)
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
                        # An output never changes: with its memory it is a new output.
                        out = dataclasses.replace(out, maskmem=mem.to(torch.bfloat16))
                        new = self._bank.create(out)
                    else:
                        new = ref
                    del pending[frame]
                    if new is not ref:
                        self._bank.drop(ref)
                    # An existing cond frame keeps its dict position.
                    obj.put(self._bank, obj.cond if as_cond else obj.non_cond, frame, new)
                    self._emit(
                        "preflight", frame=frame, obj_id=obj.obj_id, output=out, as_cond=as_cond
                    )
            for frame in obj.cond:
                obj.pop(self._bank, obj.non_cond, frame)

    def _propagate_frame(self, frame: int, reverse: bool, objs: list[ObjectState]) -> FrameMasks:
        feats = self.features(frame)
        to_track = [o for o in objs if frame not in o.cond]
        # Group objects whose memory has the same layout, so each group is one batch.
        groups: dict[tuple[int, int], list[ObjectState]] = {}
        plans = {}
        for obj in to_track:
            plan = self._memory_plan(frame, obj, reverse)
            plans[id(obj)] = plan
            groups.setdefault(plan.signature, []).append(obj)
        for batch in groups.values():
            outs = self._track_batch(frame, batch, feats, [plans[id(o)] for o in batch])
            for obj, out in zip(batch, outs, strict=True):
                obj.put(self._bank, obj.non_cond, frame, self._bank.create(out))
                self._emit("track", frame=frame, obj_id=obj.obj_id, output=out, reverse=reverse)
        for obj in objs:
            obj.tracked[frame] = reverse
        return self._frame_masks(frame, stored_only=True, objs=objs)

    def _track_batch(
        self,
        frame: int,
        objs: list[ObjectState],
        feats: BackboneFeatures,
        plans: list[MemoryPlan],
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
    def _memory_plan(self, frame: int, obj: ObjectState, reverse: bool) -> MemoryPlan:
        return memory_plan(self.model, frame, obj, reverse, self.num_frames, self._value)

    def _memory_conditioned(
        self, frame: int, objs: list[ObjectState], feats: BackboneFeatures, reverse: bool
    ) -> torch.Tensor:
        plans = [self._memory_plan(frame, o, reverse) for o in objs]
        return self._attend(frame, objs, feats, plans)

    def _attend(
        self, frame: int, objs: list[ObjectState], feats: BackboneFeatures, plans: list[MemoryPlan]
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

    # ------------------------------------------------------------------ outputs
    def _finish(self, heads: HeadsOutput, i: int, maskmem: torch.Tensor | None) -> FrameOutput:
        return output_from_heads(heads, i, maskmem, self.fill_hole_area)

    def frame_output(self, obj_id: Any, frame: int, pending: bool = False) -> FrameOutput | None:
        """An object's stored output on a frame (conditioning first, then tracked), read
        back from the store if spilled; with ``pending``, outputs of prompts since the
        last propagation come first."""
        frame = self._check_frame(frame)
        _, obj = self._object(obj_id)
        ref = obj.ref_on(frame) if pending else obj.stored(frame)
        return None if ref is None else self._value(ref)

    def _frame_masks(
        self,
        frame: int,
        stored_only: bool = False,
        pending_cond_first: bool = True,
        objs: list[ObjectState] | None = None,
    ) -> FrameMasks:
        """Objects' logits on ``frame`` at video resolution (-1024 where none): all, or
        ``objs`` (non-overlap, when on, still weighs every object's output)."""

        def output_of(obj: ObjectState) -> FrameOutput | None:
            ref = obj.stored(frame) if stored_only else obj.ref_on(frame, pending_cond_first)
            return None if ref is None else self._value(ref)

        return frame_masks_at_video_size(
            frame, self.objects, objs, output_of, self.video_hw, self.non_overlap_masks
        )

    # ------------------------------------------------------------------ introspection
    def stats(self) -> dict[str, int | float]:
        """What the session holds and has moved (bounded-memory checks, benchmarks).

        ``resident_bytes``: tensor bytes of the outputs in RAM; ``feature_bytes``: of the
        cached backbone features; ``writes``/``reads``/``deletes`` and their bytes and
        seconds: traffic with the output store.
        """
        resident = [r for o in self.objects for r in o.refs() if r.value is not None]
        return {
            "cached_features": len(self._frames),
            "objects": len(self.objects),
            "cond_outputs": sum(len(o.cond) for o in self.objects),
            "non_cond_outputs": sum(len(o.non_cond) for o in self.objects),
            "pending_outputs": sum(
                len(o.pending_cond) + len(o.pending_non_cond) for o in self.objects
            ),
            "resident_outputs": len(resident),
            "resident_tracked_outputs": sum(len(o.window) for o in self.objects),
            "memories": sum(
                1 for r in resident if r.value is not None and r.value.maskmem is not None
            ),
            "feature_bytes": self._frames.nbytes(),
            **self._bank.stats(),
            "features_computed": self.features_computed,
        }
