"""Video parity cases: every step of ``scenario.json`` replayed in a
:class:`~sam2engine.inference.session.VideoSession` (spilling, optionally restored from a
snapshot after every step) and compared with the official outputs of ``video.npz``, including
the memory attention inputs and outputs of the frames the scenario names (part of
:mod:`sam2engine.parity`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from sam2engine.parity_compare import (
    FEATURE_REL_TOL,
    LOGIT_TOL,
    SCORE_TOL,
    Case,
    as_np,
    check_abs,
    check_bf16,
    check_feature,
    check_masks,
    maxdiff,
)

if TYPE_CHECKING:
    from sam2engine.inference.session import VideoSession

#: Tracked outputs per object in RAM during the video replay: small, so that nearly every
#: memory and pointer read goes through the output store.
DEFAULT_REPLAY_RAM_OUTPUTS = 2


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
        check_feature(
            pre, "preprocessed_frame0", session.model_input(0)[0], z["preprocessed_frame0"]
        )
    if "maskmem_pos_enc" in z:
        check_feature(
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
                            check_bf16(
                                sc,
                                "memory_spatial",
                                got["memory"][:n_sp],
                                ref_mem[:n_sp],
                                mem_range,
                            )
                            if n_ptr:
                                check_feature(
                                    sc,
                                    "memory_pointers",
                                    got["memory"][n_sp:],
                                    ref_mem[n_sp:],
                                    ptr_range,
                                )
                            check_feature(
                                sc,
                                "memory_pos",
                                got["memory_pos"],
                                z[f"{snap_key}/memory_pos"][:, 0],
                            )
                        check_feature(sc, "curr", got["curr"], z[f"{snap_key}/curr"][:, 0])
                        check_feature(sc, "output", got["output"], z[f"{snap_key}/output"][:, 0])
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
            check_abs(case, "point_coords_diff", pts, z[f"{key}/point_coords_model"], 1e-3)
            if not np.array_equal(
                as_np(lab).astype(int).reshape(-1), z[f"{key}/point_labels"].reshape(-1)
            ):
                case.fail("point labels differ")
    ref_low = z[f"{key}/low_res_logits"]
    check_abs(case, "max_abs_logit_diff", out.low_res_logits, ref_low, LOGIT_TOL)
    ref_score = z[f"{key}/object_score_logits"]
    check_abs(case, "max_object_score_diff", out.object_score, ref_score, SCORE_TOL)
    if not np.array_equal(as_np(out.object_score).reshape(-1) > 0, ref_score.reshape(-1) > 0):
        case.fail("object present/absent decision differs")
    d = maxdiff(out.obj_ptr, z[f"{key}/obj_ptr"]) / max(ptr_range, 1e-12)
    case.worst("obj_ptr_rel_diff", d)
    if not d <= FEATURE_REL_TOL:
        case.fail(f"obj_ptr: {d:.3g} of range")
    if f"{key}/decoder_all_ious" in z and heads is not None:
        check_abs(case, "max_iou_diff", heads.all_ious, z[f"{key}/decoder_all_ious"], SCORE_TOL)
        if heads.all_masks is not None and f"{key}/decoder_all_masks" in z:
            check_abs(
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
        check_abs(
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
            ours = as_np(fm.mask_logits)
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
                check_masks(case, ours[j] > 0, ref_masks[j], near_ref, ours[j], LOGIT_TOL)


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
            d = maxdiff(out.low_res_logits, ref_low)
            case.worst("max_abs_logit_diff", d)
            if not d <= LOGIT_TOL:
                case.fail(f"{tag}: low-res logits differ by {d:.3g}")
            ref_score = z[f"{key}/object_score_logits"][f, i]
            ds = maxdiff(out.object_score, ref_score)
            case.worst("max_object_score_diff", ds)
            if not ds <= SCORE_TOL:
                case.fail(f"{tag}: object score differs by {ds:.3g}")
            if (float(as_np(out.object_score).reshape(-1)[0]) > 0) != (
                float(np.reshape(ref_score, -1)[0]) > 0
            ):
                case.fail(f"{tag}: present/absent decision differs")
            dp = maxdiff(out.obj_ptr, z[f"{key}/obj_ptr"][f, i]) / max(ptr_range, 1e-12)
            case.worst("obj_ptr_rel_diff", dp)
            if not dp <= FEATURE_REL_TOL:
                case.fail(f"{tag}: obj_ptr differs by {dp:.3g} of range")
            if f"{key}/decoder_all_ious" in z and not is_cond:
                ref_iou = z[f"{key}/decoder_all_ious"][f, i]
                if not np.isnan(ref_iou).any():
                    di = maxdiff(out.all_ious, ref_iou)
                    case.worst("max_iou_diff", di)
                    if not di <= SCORE_TOL:
                        case.fail(f"{tag}: IoUs differ by {di:.3g}")
                    ours_iou = as_np(out.all_ious).reshape(-1)
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
                check_bf16(case, "maskmem", out.maskmem, ref_mem, mem_range)
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
                check_abs(
                    case,
                    "max_abs_video_res_logit_diff",
                    fm.mask_logits[i],
                    z[f"{key}/video_res_logits_obj12"][f, i],
                    LOGIT_TOL,
                )
            if f"{key}/masks" in z:
                check_masks(case, as_np(fm.mask_logits[i]) > 0, z[f"{key}/masks"][f, i], ref_up)
        if len(case.failures) > before and first_bad is None:
            first_bad = f
    case.metrics["frames"] = len(order)
    case.metrics["first_diverging_frame"] = first_bad
