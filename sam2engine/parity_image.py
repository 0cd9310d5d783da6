"""Image parity cases: the backbone features and every prompt set of ``image.npz`` replayed
with :class:`~sam2engine.inference.image_predictor.ImagePredictor` and compared with the
official outputs (part of :mod:`sam2engine.parity`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sam2engine.parity_compare import (
    LOGIT_TOL,
    SCORE_TOL,
    Case,
    as_np,
    check_abs,
    check_feature,
    check_masks,
    maxdiff,
)


def replay_image(model: Any, z: Any) -> list[Case]:
    from sam2engine.inference.image_predictor import ImagePredictor

    cases: list[Case] = []
    pred = ImagePredictor(model, precision="float32")
    pred.set_image(z["image"])
    feat = Case("image/backbone", "image")
    with torch.inference_mode():
        check_feature(feat, "model_input", pred.model_input, z["model_input"])
        x = pred.model_input
        trunk = model.image_encoder.trunk(x)
        for i, t in enumerate(trunk):
            if f"trunk_stage{i + 1}" in z:
                check_feature(feat, f"trunk_stage{i + 1}", t, z[f"trunk_stage{i + 1}"])
        enc = model.image_encoder(x)
        for i, t in enumerate(enc["backbone_fpn"]):
            if f"fpn_level{i}" in z:
                check_feature(feat, f"fpn_level{i}", t, z[f"fpn_level{i}"])
        if "vision_pos_enc_level2" in z:
            check_feature(
                feat, "vision_pos_enc_level2", enc["vision_pos_enc"][-1], z["vision_pos_enc_level2"]
            )
    check_feature(feat, "image_embed", pred._image_embed, z["image_embed"])
    for i, t in enumerate(pred._features.high_res):  # type: ignore[union-attr]
        if f"high_res_feat{i}" in z:
            check_feature(feat, f"high_res_feat{i}", t, z[f"high_res_feat{i}"])
    check_feature(feat, "dense_pe", model.sam_prompt_encoder.get_dense_pe(), z["dense_pe"])
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
        check_abs(
            case, "max_abs_logit_diff", dec.all_masks, z[f"{name}/decoder_all_masks"], LOGIT_TOL
        )
        check_abs(case, "max_abs_logit_diff", out.low_res_logits.reshape(shape), ref_low, LOGIT_TOL)
        check_abs(case, "max_iou_diff", dec.all_ious, z[f"{name}/decoder_all_ious"], SCORE_TOL)
        check_abs(
            case,
            "max_iou_diff",
            out.ious.reshape(z[f"{name}/iou_predictions"].shape),
            z[f"{name}/iou_predictions"],
            SCORE_TOL,
        )
        ref_score = z[f"{name}/object_score_logits"]
        check_abs(case, "max_object_score_diff", dec.object_score_logits, ref_score, SCORE_TOL)
        if not np.array_equal(
            as_np(dec.object_score_logits).reshape(-1) > 0, ref_score.reshape(-1) > 0
        ):
            case.fail("object present/absent decision differs")
        if f"{name}/singlemask_stability" in z:
            ref_stab = z[f"{name}/singlemask_stability"].reshape(-1)
            ours_stab = as_np(dec.stability).reshape(-1)
            case.worst("stability_diff", maxdiff(ours_stab, ref_stab))
            if not np.array_equal(ours_stab >= thresh, ref_stab >= thresh):
                case.fail("stability fallback decision differs")
        # Which token was returned: match each returned mask to the reference tokens.
        ref_all = z[f"{name}/decoder_all_masks"]
        ours_low = as_np(out.low_res_logits).reshape(
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
            check_abs(
                case,
                "max_abs_video_res_logit_diff",
                logits_out.masks.reshape(z[f"{name}/masks_logits"].shape),
                z[f"{name}/masks_logits"],
                LOGIT_TOL,
            )
        check_masks(case, as_np(out.masks), z[f"{name}/masks"], ref_up)
        cases.append(case)
    return cases
