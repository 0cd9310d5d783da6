"""Numerical parity with the official SAM 2.1 implementation.

    python -m sam2engine.parity FOLDER [--ram-outputs N | --all-in-ram] [--restore-each-step]
                                       [--threads N]

FOLDER is in the format of ``sam2ref/micro`` (config.json, checkpoint.pt, image.npz,
video.npz, scenario.json). The model is built from FOLDER/config.json, the checkpoint
is loaded strictly, every prompt set of image.npz and every step of scenario.json is
replayed (CPU, float32) and compared with the stored official outputs. One JSON line
per case, then a summary line; exit status 1 if any case is outside tolerance.

Tolerances (README §5 of the fixtures): backbone features within 1e-4 of their value
range; logits within 1e-3 absolute; IoU / object scores within 1e-3; object pointers
within 1e-4 of the range of all reference pointers; bfloat16 memories within one
bfloat16 step plus 1e-4 of their range; identical discrete decisions (present/absent,
chosen multimask token, stability fallback, conditioning storage); binary masks
identical except pixels whose reference logit is within 1e-3 of 0.

The video replay runs the engine's default (exact, bounded-RAM) session with a small RAM
window (``--ram-outputs``, default 2 tracked outputs per object), so that outputs are
spilled to the output store and read back throughout; ``--all-in-ram`` keeps every output
in RAM instead. ``--restore-each-step`` also snapshots the session after every scenario
step (through JSON) and continues in a new session restored from it.

Nothing here depends on the micro fixture's values: sizes, prompts, objects and call
sequences are all read from the folder.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from sam2engine.inference.session import VideoSession

FEATURE_REL_TOL = 1e-4
LOGIT_TOL = 1e-3
SCORE_TOL = 1e-3
MASK_NEAR_ZERO = 1e-3
#: Tracked outputs per object in RAM during the video replay: small, so that nearly every
#: memory and pointer read goes through the output store.
DEFAULT_REPLAY_RAM_OUTPUTS = 2


@dataclass
class Case:
    """Comparison results of one replayed case."""

    name: str
    kind: str
    metrics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def worst(self, key: str, value: float) -> None:
        value = float(value)
        if math.isnan(value):
            self.metrics[key] = "nan"
            return
        prev = self.metrics.get(key)
        self.metrics[key] = value if not isinstance(prev, float) else max(prev, value)

    def add(self, key: str, value: int) -> None:
        self.metrics[key] = int(self.metrics.get(key, 0)) + int(value)

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def line(self) -> dict[str, Any]:
        return {
            "case": self.name,
            "kind": self.kind,
            "ok": not self.failures,
            **self.metrics,
            **({"failures": self.failures[:10]} if self.failures else {}),
        }


def _np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().float().cpu().numpy()
    return np.asarray(t)


def _maxdiff(a: Any, b: Any) -> float:
    a, b = _np(a).astype(np.float64), _np(b).astype(np.float64)
    if a.shape != b.shape:
        if a.size == b.size:
            a = a.reshape(b.shape)
        else:
            return float("inf")
    if a.size == 0:
        return 0.0
    # A NaN on either side (but not both) is a difference, never a pass.
    if np.any(np.isnan(a) != np.isnan(b)):
        return float("inf")
    d = np.abs(a - b)
    return float(np.nanmax(d)) if not np.all(np.isnan(d)) else 0.0


def _check_feature(
    case: Case, key: str, ours: Any, ref: np.ndarray, rng: float | None = None
) -> float:
    rng = float(np.nanmax(ref) - np.nanmin(ref)) if rng is None else rng
    rel = _maxdiff(ours, ref) / max(rng, 1e-12)
    case.worst(f"{key}_rel_diff", rel)
    if not rel <= FEATURE_REL_TOL:
        case.fail(f"{key}: max diff {rel:.3g} of range > {FEATURE_REL_TOL}")
    return rel


def _check_abs(case: Case, key: str, ours: Any, ref: np.ndarray, tol: float) -> float:
    d = _maxdiff(ours, ref)
    case.worst(key, d)
    if not d <= tol:
        case.fail(f"{key}: {d:.3g} > {tol}")
    return d


def _check_masks(
    case: Case,
    ours: np.ndarray,
    ref: np.ndarray,
    ref_logits: np.ndarray | None,
    our_logits: np.ndarray | None = None,
    logit_slack: float = 0.0,
) -> int:
    """Count mismatching mask pixels outside the near-zero band; returns that count."""
    ours, ref = np.asarray(ours, dtype=bool), np.asarray(ref, dtype=bool)
    ours = ours.reshape(ref.shape)
    diff = ours != ref
    if ref_logits is not None:
        near = np.abs(ref_logits.reshape(ref.shape)) <= MASK_NEAR_ZERO
    elif (
        our_logits is not None
    ):  # reference logits not stored: use ours, widened by the logit error
        near = np.abs(our_logits.reshape(ref.shape)) <= MASK_NEAR_ZERO + logit_slack
    else:
        near = np.zeros_like(diff)
    bad = int(np.sum(diff & ~near))
    case.add("mask_mismatch_pixels", bad)
    case.add("mask_near_zero_flips", int(np.sum(diff & near)))
    if bad:
        case.fail(f"{bad} mask pixels differ away from the decision boundary")
    return bad


def _bf16_step(x: np.ndarray) -> np.ndarray:
    mag = np.maximum(np.abs(x), np.finfo(np.float32).tiny)
    step: np.ndarray = np.exp2(np.floor(np.log2(mag)) - 7)
    return step


def _check_bf16(case: Case, key: str, ours: Any, ref: np.ndarray, rng: float) -> None:
    o = _np(ours).reshape(ref.shape).astype(np.float64)
    r = ref.astype(np.float64)
    if np.any(np.isnan(o) != np.isnan(r)):
        case.fail(f"{key}: NaN where the reference has a value (or vice versa)")
        return
    excess = np.abs(o - r) - (_bf16_step(r) + FEATURE_REL_TOL * rng)
    worst = float(np.nanmax(excess)) if excess.size and not np.all(np.isnan(excess)) else -1.0
    case.worst(f"{key}_excess_over_bf16_tol", max(worst, 0.0))
    case.add(f"{key}_bf16_step_diffs", int(np.sum(o != r)))
    if worst > 0:
        case.fail(f"{key}: exceeds one bfloat16 step + {FEATURE_REL_TOL} of range by {worst:.3g}")


# ---------------------------------------------------------------------------- image
def replay_image(model: Any, z: Any) -> list[Case]:
    from sam2engine.inference.image_predictor import ImagePredictor

    cases: list[Case] = []
    pred = ImagePredictor(model, precision="float32")
    pred.set_image(z["image"])
    feat = Case("image/backbone", "image")
    with torch.inference_mode():
        _check_feature(feat, "model_input", pred.model_input, z["model_input"])
        x = pred.model_input
        trunk = model.image_encoder.trunk(x)
        for i, t in enumerate(trunk):
            if f"trunk_stage{i + 1}" in z:
                _check_feature(feat, f"trunk_stage{i + 1}", t, z[f"trunk_stage{i + 1}"])
        enc = model.image_encoder(x)
        for i, t in enumerate(enc["backbone_fpn"]):
            if f"fpn_level{i}" in z:
                _check_feature(feat, f"fpn_level{i}", t, z[f"fpn_level{i}"])
        if "vision_pos_enc_level2" in z:
            _check_feature(
                feat, "vision_pos_enc_level2", enc["vision_pos_enc"][-1], z["vision_pos_enc_level2"]
            )
    _check_feature(feat, "image_embed", pred._image_embed, z["image_embed"])
    for i, t in enumerate(pred._features.high_res):  # type: ignore[union-attr]
        if f"high_res_feat{i}" in z:
            _check_feature(feat, f"high_res_feat{i}", t, z[f"high_res_feat{i}"])
    _check_feature(feat, "dense_pe", model.sam_prompt_encoder.get_dense_pe(), z["dense_pe"])
    cases.append(feat)

    thresh = model.cfg.decoder.dynamic_multimask_stability_thresh
    for name in [str(n) for n in z["prompt_set_names"]]:
        case = Case(f"image/{name}", "image")
        kw = {
            k: z[f"{name}/{k}"]
            for k in ("point_coords", "point_labels", "box", "mask_input")
            if f"{name}/{k}" in z
        }
        multimask = bool(z[f"{name}/multimask_output"].reshape(-1)[0])
        out = pred.predict_tensors(**kw, multimask_output=multimask)
        ref_low = z[f"{name}/low_res_logits"]
        shape = ref_low.shape
        dec = out.decoder
        _check_abs(
            case, "max_abs_logit_diff", dec.all_masks, z[f"{name}/decoder_all_masks"], LOGIT_TOL
        )
        _check_abs(
            case, "max_abs_logit_diff", out.low_res_logits.reshape(shape), ref_low, LOGIT_TOL
        )
        _check_abs(case, "max_iou_diff", dec.all_ious, z[f"{name}/decoder_all_ious"], SCORE_TOL)
        _check_abs(
            case,
            "max_iou_diff",
            out.ious.reshape(z[f"{name}/iou_predictions"].shape),
            z[f"{name}/iou_predictions"],
            SCORE_TOL,
        )
        ref_score = z[f"{name}/object_score_logits"]
        _check_abs(case, "max_object_score_diff", dec.object_score_logits, ref_score, SCORE_TOL)
        if not np.array_equal(
            _np(dec.object_score_logits).reshape(-1) > 0, ref_score.reshape(-1) > 0
        ):
            case.fail("object present/absent decision differs")
        if f"{name}/singlemask_stability" in z:
            ref_stab = z[f"{name}/singlemask_stability"].reshape(-1)
            ours_stab = _np(dec.stability).reshape(-1)
            case.worst("stability_diff", _maxdiff(ours_stab, ref_stab))
            if not np.array_equal(ours_stab >= thresh, ref_stab >= thresh):
                case.fail("stability fallback decision differs")
        # Which token was returned: match each returned mask to the reference tokens.
        ref_all = z[f"{name}/decoder_all_masks"]
        ours_low = _np(out.low_res_logits).reshape(
            -1, shape[-3] if len(shape) > 2 else 1, *shape[-2:]
        )
        ref_low_b = ref_low.reshape(ours_low.shape)
        ref_unclamped = np.empty_like(ref_low_b)
        for b in range(ref_low_b.shape[0]):
            for k in range(ref_low_b.shape[1]):
                errs = [
                    np.abs(np.clip(ref_all[b, j], -32, 32) - ref_low_b[b, k]).max()
                    for j in range(ref_all.shape[1])
                ]
                j_ref = int(np.argmin(errs))
                errs_ours = [
                    np.abs(np.clip(ref_all[b, j], -32, 32) - ours_low[b, k]).max()
                    for j in range(ref_all.shape[1])
                ]
                if int(np.argmin(errs_ours)) != j_ref:
                    case.fail(f"returned mask token differs (batch {b}, output {k})")
                ref_unclamped[b, k] = ref_all[b, j_ref]
        h, w = z["image"].shape[:2]
        ref_up = F.interpolate(
            torch.from_numpy(ref_unclamped), size=(h, w), mode="bilinear", align_corners=False
        ).numpy()
        if f"{name}/masks_logits" in z:
            logits_out = pred.predict_tensors(**kw, multimask_output=multimask, return_logits=True)
            _check_abs(
                case,
                "max_abs_video_res_logit_diff",
                logits_out.masks.reshape(z[f"{name}/masks_logits"].shape),
                z[f"{name}/masks_logits"],
                LOGIT_TOL,
            )
        _check_masks(case, _np(out.masks), z[f"{name}/masks"], ref_up)
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------- video
class _Recorder:
    """Session observer keeping the latest output per (frame, object) and memory snapshots."""

    def __init__(self) -> None:
        self.outputs: dict[tuple[int, Any], Any] = {}
        self.prompt_heads: Any = None
        self.memattn: dict[tuple[int, Any], dict[str, Any]] = {}
        self.capture_memattn = False

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event in ("track", "prompt", "preflight"):
            self.outputs[(data["frame"], data["obj_id"])] = data["output"]  # immutable
            if event == "prompt":
                self.prompt_heads = data["heads"]
        elif event == "memory_attention" and self.capture_memattn:
            for i, oid in enumerate(data["obj_ids"]):
                self.memattn[(data["frame"], oid)] = {
                    k: (v[i] if isinstance(v, torch.Tensor) else v)
                    for k, v in data.items()
                    if k != "obj_ids"
                }


def replay_video(
    model: Any,
    z: Any,
    scenario: dict[str, Any],
    config_raw: dict[str, Any],
    ram_outputs: int | None = DEFAULT_REPLAY_RAM_OUTPUTS,
    restore_each_step: bool = False,
) -> list[Case]:
    """Replay ``scenario``; ``ram_outputs`` None keeps every output in RAM."""
    with tempfile.TemporaryDirectory(prefix="sam2engine-parity-") as folder:
        return _replay_video(
            model, z, scenario, config_raw, ram_outputs, restore_each_step, Path(folder)
        )


def _replay_video(
    model: Any,
    z: Any,
    scenario: dict[str, Any],
    config_raw: dict[str, Any],
    ram_outputs: int | None,
    restore_each_step: bool,
    folder: Path,
) -> list[Case]:
    from sam2engine.inference.session import VideoSession
    from sam2engine.inference.snapshot import SessionSnapshot
    from sam2engine.inference.store import DiskOutputStore

    fr = scenario["frames"]
    frames = z[fr["model_input"]]
    video_hw = (int(fr["height"]), int(fr["width"]))
    extra = config_raw.get("fixture_video_predictor_extra", {}) or {}
    as_cond = bool(
        extra.get(
            "add_all_frames_to_correct_as_cond", model.cfg.video.add_all_frames_to_correct_as_cond
        )
    )
    store = DiskOutputStore(folder)
    options: dict[str, Any] = {
        "precision": "float32",
        "video_size": video_hw,
        "ram_outputs": ram_outputs or 0,
        "retain_all_outputs": ram_outputs is None,
    }
    session = VideoSession(
        model, list(frames), corrections_as_conditioning=as_cond, store=store, **options
    )
    rec = _Recorder()
    session.observer = rec
    cases: list[Case] = []

    pre = Case("video/preprocessing", "video")
    if "preprocessed_frame0" in z:
        _check_feature(
            pre, "preprocessed_frame0", session.model_input(0)[0], z["preprocessed_frame0"]
        )
    if "maskmem_pos_enc" in z:
        _check_feature(
            pre, "maskmem_pos_enc", model.memory_pos_enc(session.device), z["maskmem_pos_enc"]
        )
    cases.append(pre)

    # Range of every reference object pointer (tolerance scale for pointers).
    ptr_arrays = [z[k] for k in z.files if k.endswith("/obj_ptr")]
    ptr_range = (
        float(max(np.nanmax(a) for a in ptr_arrays) - min(np.nanmin(a) for a in ptr_arrays))
        if ptr_arrays
        else 1.0
    )
    mem_arrays = [z[k] for k in z.files if k.endswith("/maskmem_features")]
    mem_range = float(max(np.nanmax(a) - np.nanmin(a) for a in mem_arrays)) if mem_arrays else 1.0
    snapshots = {
        (s["pass"], int(s["frame_idx"]), s["obj_id"]): s["key"]
        for s in scenario.get("memattn_snapshots", [])
    }

    obj_ids_ref = [int(v) for v in z["obj_ids"]] if "obj_ids" in z else None
    for step in scenario["steps"]:
        key = step["key"]
        call = step["call"]
        case = Case(f"video/{key}", "video")
        try:
            if call in ("add_new_points_or_box", "add_new_mask"):
                _replay_add(session, rec, z, step, case, ptr_range)
            elif call == "propagate_in_video":
                rec.capture_memattn = any(p == key for p, _, _ in snapshots)
                _replay_propagate(session, rec, z, step, case, ptr_range, mem_range, obj_ids_ref)
                for (p, frame, oid), snap_key in snapshots.items():
                    if p != key:
                        continue
                    sc = Case(f"video/{snap_key}", "memory_attention")
                    got = rec.memattn.get((frame, oid))
                    if got is None:
                        sc.fail("no memory attention ran for this frame/object")
                    else:
                        n_ptr = int(np.asarray(z[f"{snap_key}/num_obj_ptr_tokens"]).reshape(-1)[0])
                        sc.metrics["num_obj_ptr_tokens"] = int(got["num_obj_ptr_tokens"])
                        if int(got["num_obj_ptr_tokens"]) != n_ptr:
                            sc.fail(f"pointer tokens {got['num_obj_ptr_tokens']} != {n_ptr}")
                        ref_mem = z[f"{snap_key}/memory"][:, 0]
                        if got["memory"].shape[0] != ref_mem.shape[0]:
                            sc.fail(f"memory tokens {got['memory'].shape[0]} != {ref_mem.shape[0]}")
                        else:
                            # Spatial memories are stored bfloat16 (one-step flips allowed);
                            # the trailing pointer tokens are float32 features.
                            n_sp = ref_mem.shape[0] - n_ptr
                            _check_bf16(
                                sc,
                                "memory_spatial",
                                got["memory"][:n_sp],
                                ref_mem[:n_sp],
                                mem_range,
                            )
                            if n_ptr:
                                _check_feature(
                                    sc,
                                    "memory_pointers",
                                    got["memory"][n_sp:],
                                    ref_mem[n_sp:],
                                    ptr_range,
                                )
                            _check_feature(
                                sc,
                                "memory_pos",
                                got["memory_pos"],
                                z[f"{snap_key}/memory_pos"][:, 0],
                            )
                        _check_feature(sc, "curr", got["curr"], z[f"{snap_key}/curr"][:, 0])
                        _check_feature(sc, "output", got["output"], z[f"{snap_key}/output"][:, 0])
                    cases.append(sc)
                rec.capture_memattn = False
            elif call == "remove_object":
                session.remove_object(step["obj_id"])
            elif call == "clear_all_prompts_in_frame":
                session.clear_frame_prompts(int(step["frame_idx"]), step["obj_id"])
            elif call == "reset_state":
                session.reset()
            else:
                case.fail(f"unknown call {call!r}")
        except Exception as exc:  # a crash is a failed case, reported like the others
            case.fail(f"{type(exc).__name__}: {exc}")
        cases.append(case)
        if restore_each_step:
            snapshot = SessionSnapshot.from_json(session.snapshot().to_json())
            session.close()
            session = VideoSession.restore(model, list(frames), snapshot, store, **options)
            session.observer = rec
    session.close()
    return cases


def _obj_index(session: VideoSession, obj_id: Any) -> int:
    return session.object_ids.index(obj_id)


def _replay_add(
    session: Any, rec: _Recorder, z: Any, step: dict[str, Any], case: Case, ptr_range: float
) -> None:
    key = step["key"]
    frame, obj_id = int(step["frame_idx"]), step["obj_id"]
    if step["call"] == "add_new_mask":
        fm = session.add_mask(frame, obj_id, z[step["mask"]])
    else:
        fm = session.add_prompt(
            frame,
            obj_id,
            points=step.get("points"),
            labels=step.get("labels"),
            box=step.get("box"),
            clear_old=bool(step.get("clear_old_points", True)),
            normalize_coords=bool(step.get("normalize_coords", True)),
        )
    out = rec.outputs[(frame, obj_id)]
    heads = rec.prompt_heads
    obj = session.objects[_obj_index(session, obj_id)]
    if f"{key}/point_coords_model" in z:
        pts, lab = obj.points.get(frame, (None, None))
        if pts is None:
            case.fail("points not stored")
        else:
            _check_abs(case, "point_coords_diff", pts, z[f"{key}/point_coords_model"], 1e-3)
            if not np.array_equal(
                _np(lab).astype(int).reshape(-1), z[f"{key}/point_labels"].reshape(-1)
            ):
                case.fail("point labels differ")
    ref_low = z[f"{key}/low_res_logits"]
    _check_abs(case, "max_abs_logit_diff", out.low_res_logits, ref_low, LOGIT_TOL)
    ref_score = z[f"{key}/object_score_logits"]
    _check_abs(case, "max_object_score_diff", out.object_score, ref_score, SCORE_TOL)
    if not np.array_equal(_np(out.object_score).reshape(-1) > 0, ref_score.reshape(-1) > 0):
        case.fail("object present/absent decision differs")
    d = _maxdiff(out.obj_ptr, z[f"{key}/obj_ptr"]) / max(ptr_range, 1e-12)
    case.worst("obj_ptr_rel_diff", d)
    if not d <= FEATURE_REL_TOL:
        case.fail(f"obj_ptr: {d:.3g} of range")
    if f"{key}/decoder_all_ious" in z and heads is not None:
        _check_abs(case, "max_iou_diff", heads.all_ious, z[f"{key}/decoder_all_ious"], SCORE_TOL)
        if heads.all_masks is not None and f"{key}/decoder_all_masks" in z:
            _check_abs(
                case,
                "max_abs_logit_diff",
                heads.all_masks,
                z[f"{key}/decoder_all_masks"],
                LOGIT_TOL,
            )
    if f"{key}/stored_as_cond" in z:
        stored_cond = frame in obj.pending_cond
        if stored_cond != bool(z[f"{key}/stored_as_cond"].reshape(-1)[0]):
            case.fail("conditioning storage decision differs")
    if f"{key}/hole_filled_pixels" in z:
        case.add(
            "hole_filled_pixels_diff",
            abs(out.holes_filled - int(np.asarray(z[f"{key}/hole_filled_pixels"]).sum())),
        )
    h, w = fm.mask_logits.shape[-2:]
    if f"{key}/video_res_logits" in z:
        i = _obj_index(session, obj_id)
        _check_abs(
            case,
            "max_abs_video_res_logit_diff",
            fm.mask_logits[i],
            z[f"{key}/video_res_logits"].reshape(h, w),
            LOGIT_TOL,
        )
    if f"{key}/returned_masks_all" in z:
        ref_ids = [int(v) for v in z[f"{key}/returned_obj_ids"]]
        if [int(v) for v in fm.object_ids] != ref_ids:
            case.fail(f"returned object ids {fm.object_ids} != {ref_ids}")
        else:
            ref_masks = z[f"{key}/returned_masks_all"].reshape(len(ref_ids), h, w)
            ours = _np(fm.mask_logits)
            near_ref = None
            i = _obj_index(session, obj_id)
            ref_up = F.interpolate(
                torch.from_numpy(ref_low.reshape(1, 1, *ref_low.shape[-2:])),
                size=(h, w),
                mode="bilinear",
                align_corners=False,
            ).numpy()[0, 0]
            for j in range(len(ref_ids)):
                near_ref = ref_up if j == i else None
                _check_masks(case, ours[j] > 0, ref_masks[j], near_ref, ours[j], LOGIT_TOL)


def _replay_propagate(
    session: Any,
    rec: _Recorder,
    z: Any,
    step: dict[str, Any],
    case: Case,
    ptr_range: float,
    mem_range: float,
    obj_ids_ref: list[int] | None,
) -> None:
    key = step["key"]
    start = step.get("start_frame_idx")
    maxf = step.get("max_frame_num_to_track")
    order: list[int] = []
    yielded: dict[int, Any] = {}
    for fm in session.propagate(
        start_frame=start, reverse=bool(step.get("reverse", False)), max_frames=maxf
    ):
        order.append(fm.frame_index)
        yielded[fm.frame_index] = fm
    if f"{key}/order" in z:
        ref_order = [int(v) for v in z[f"{key}/order"]]
        if order != ref_order:
            case.fail(f"frame order {order} != {ref_order}")
    ids = session.object_ids
    if obj_ids_ref is not None and [int(v) for v in ids] != obj_ids_ref[: len(ids)]:
        case.fail(f"object ids {ids} != {obj_ids_ref}")
    first_bad: int | None = None
    for f in order:
        before = len(case.failures)
        fm = yielded[f]
        h, w = fm.mask_logits.shape[-2:]
        for i, oid in enumerate(ids):
            obj = session.objects[i]
            is_cond = f in obj.cond
            out = session.frame_output(oid, f) if is_cond else rec.outputs.get((f, oid))
            if out is None:
                case.fail(f"frame {f} object {oid}: no output")
                continue
            tag = f"frame {f} obj {oid}"
            if f"{key}/is_cond_frame" in z and bool(z[f"{key}/is_cond_frame"][f, i]) != is_cond:
                case.fail(f"{tag}: conditioning flag differs")
            ref_low = z[f"{key}/low_res_logits"][f, i]
            d = _maxdiff(out.low_res_logits, ref_low)
            case.worst("max_abs_logit_diff", d)
            if not d <= LOGIT_TOL:
                case.fail(f"{tag}: low-res logits differ by {d:.3g}")
            ref_score = z[f"{key}/object_score_logits"][f, i]
            ds = _maxdiff(out.object_score, ref_score)
            case.worst("max_object_score_diff", ds)
            if not ds <= SCORE_TOL:
                case.fail(f"{tag}: object score differs by {ds:.3g}")
            if (float(_np(out.object_score).reshape(-1)[0]) > 0) != (
                float(np.reshape(ref_score, -1)[0]) > 0
            ):
                case.fail(f"{tag}: present/absent decision differs")
            dp = _maxdiff(out.obj_ptr, z[f"{key}/obj_ptr"][f, i]) / max(ptr_range, 1e-12)
            case.worst("obj_ptr_rel_diff", dp)
            if not dp <= FEATURE_REL_TOL:
                case.fail(f"{tag}: obj_ptr differs by {dp:.3g} of range")
            if f"{key}/decoder_all_ious" in z and not is_cond:
                ref_iou = z[f"{key}/decoder_all_ious"][f, i]
                if not np.isnan(ref_iou).any():
                    di = _maxdiff(out.all_ious, ref_iou)
                    case.worst("max_iou_diff", di)
                    if not di <= SCORE_TOL:
                        case.fail(f"{tag}: IoUs differ by {di:.3g}")
                    ours_iou = _np(out.all_ious).reshape(-1)
                    if int(np.argmax(ours_iou[1:])) != int(np.argmax(ref_iou[1:])):
                        case.fail(f"{tag}: chosen multimask token differs")
            if f"{key}/hole_filled_pixels" in z and not is_cond:
                case.add(
                    "hole_filled_pixels_diff",
                    abs(out.holes_filled - int(z[f"{key}/hole_filled_pixels"][f, i])),
                )
            if f"{key}/maskmem_features" in z and out.maskmem is not None:
                ref_mem = z[f"{key}/maskmem_features"][f, i]
                before_mem = len(case.failures)
                _check_bf16(case, "maskmem", out.maskmem, ref_mem, mem_range)
                if len(case.failures) > before_mem:
                    case.failures[-1] = f"{tag}: " + case.failures[-1]
            ref_up = F.interpolate(
                torch.from_numpy(np.ascontiguousarray(ref_low).reshape(1, 1, *ref_low.shape[-2:])),
                size=(h, w),
                mode="bilinear",
                align_corners=False,
            ).numpy()[0, 0]
            if (
                f"{key}/video_res_logits_obj12" in z
                and i < z[f"{key}/video_res_logits_obj12"].shape[1]
            ):
                _check_abs(
                    case,
                    "max_abs_video_res_logit_diff",
                    fm.mask_logits[i],
                    z[f"{key}/video_res_logits_obj12"][f, i],
                    LOGIT_TOL,
                )
            if f"{key}/masks" in z:
                _check_masks(case, _np(fm.mask_logits[i]) > 0, z[f"{key}/masks"][f, i], ref_up)
        if len(case.failures) > before and first_bad is None:
            first_bad = f
    case.metrics["frames"] = len(order)
    case.metrics["first_diverging_frame"] = first_bad


# ---------------------------------------------------------------------------- main
def run(
    folder: str | Path,
    ram_outputs: int | None = DEFAULT_REPLAY_RAM_OUTPUTS,
    restore_each_step: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from sam2engine.build import build_model
    from sam2engine.config import ModelConfig

    folder = Path(folder)
    config_raw = json.loads((folder / "config.json").read_text())
    cfg = ModelConfig.from_dict(config_raw)
    model = build_model(cfg, folder / "checkpoint.pt", device="cpu")
    cases: list[Case] = []
    if (folder / "image.npz").is_file():
        cases += replay_image(model, np.load(folder / "image.npz"))
    if (folder / "video.npz").is_file() and (folder / "scenario.json").is_file():
        scenario = json.loads((folder / "scenario.json").read_text())
        cases += replay_video(
            model,
            np.load(folder / "video.npz"),
            scenario,
            config_raw,
            ram_outputs,
            restore_each_step,
        )
    lines = [c.line() for c in cases]

    def _max(key: str) -> float | None:
        vals = [
            v for line in lines for k, v in line.items() if k == key and isinstance(v, (int, float))
        ]
        return max(vals) if vals else None

    frames: list[int] = [
        frame for line in lines if (frame := line.get("first_diverging_frame")) is not None
    ]
    summary = {
        "summary": True,
        "folder": str(folder),
        "cases": len(lines),
        "failed": sum(not line["ok"] for line in lines),
        "max_abs_logit_diff": _max("max_abs_logit_diff"),
        "max_object_score_diff": _max("max_object_score_diff"),
        "max_iou_diff": _max("max_iou_diff"),
        "max_obj_ptr_rel_diff": _max("obj_ptr_rel_diff"),
        "max_feature_rel_diff": max(
            [
                v
                for line in lines
                for k, v in line.items()
                if k.endswith("_rel_diff") and k != "obj_ptr_rel_diff" and isinstance(v, float)
            ]
            or [0.0]
        ),
        "mask_mismatch_pixels": sum(int(line.get("mask_mismatch_pixels", 0)) for line in lines),
        "mask_near_zero_flips": sum(int(line.get("mask_near_zero_flips", 0)) for line in lines),
        "first_diverging_frame": min(frames) if frames else None,
        "retention": "all in RAM" if ram_outputs is None else f"spill (ram_outputs={ram_outputs})",
        "restored_each_step": restore_each_step,
    }
    summary["ok"] = summary["failed"] == 0
    return lines, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sam2engine.parity", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "folder",
        help="fixture folder (config.json, checkpoint.pt, image.npz, video.npz, scenario.json)",
    )
    parser.add_argument(
        "--ram-outputs",
        type=int,
        default=DEFAULT_REPLAY_RAM_OUTPUTS,
        help="tracked outputs per object kept in RAM during the video replay (default "
        f"{DEFAULT_REPLAY_RAM_OUTPUTS}, so that spilling is exercised; 0 spills all)",
    )
    parser.add_argument(
        "--all-in-ram",
        action="store_true",
        help="keep every output in RAM (retain_all_outputs) instead of spilling",
    )
    parser.add_argument(
        "--restore-each-step",
        action="store_true",
        help="after every scenario step, snapshot the session and continue in a restored one",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1, as the fixtures were made; 0: torch default)",
    )
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.ram_outputs < 0:
        parser.error("--ram-outputs must be >= 0")
    lines, summary = run(
        args.folder,
        ram_outputs=None if args.all_in_ram else args.ram_outputs,
        restore_each_step=args.restore_each_step,
    )
    for line in [*lines, summary]:
        sys.stdout.write(json.dumps(line, default=str) + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
