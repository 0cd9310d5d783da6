"""SAM 2.1 model: composes the parts and implements the per-frame steps (spec §6-§8).

The module tree and parameter names match the official checkpoints exactly. The
video *policy* (which memories a frame sees, what is stored) lives in
``sam2engine.inference.session``; this class provides the numerical steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from sam2engine.config import ConfigError, ModelConfig
from sam2engine.modeling.common import MLP, sine_1d
from sam2engine.modeling.image_encoder import ImageEncoder
from sam2engine.modeling.memory import MemoryAttention, MemoryEncoder
from sam2engine.modeling.sam_heads import (
    MaskDecoder,
    PromptEncoder,
    TwoWayTransformer,
)

#: Logit written into every mask pixel of an object judged absent.
NO_OBJ_SCORE = -1024.0


@dataclass
class BackboneFeatures:
    """Image features of one frame (batch 1), ready for the SAM heads and memory."""

    high_res: list[torch.Tensor]  # [1, C/8, 4E, 4E] and [1, C/4, 2E, 2E] (conv_s0/conv_s1 applied)
    vision: torch.Tensor  # [1, C, E, E] stride-16 FPN features (no memory, no no_mem_embed)
    vision_pos: torch.Tensor  # [1, C, E, E] sine encoding of the stride-16 level

    def nbytes(self) -> int:
        return sum(
            t.numel() * t.element_size() for t in (*self.high_res, self.vision, self.vision_pos)
        )


@dataclass
class HeadsOutput:
    """One run of the SAM heads for a batch of objects."""

    low_res_masks: torch.Tensor  # [B, 1, 4E, 4E] float32 logits of the chosen mask
    high_res_masks: torch.Tensor  # [B, 1, S, S] float32 logits (bilinear of low_res_masks)
    obj_ptr: torch.Tensor  # [B, C]
    object_score_logits: torch.Tensor  # [B, 1]
    all_ious: torch.Tensor  # [B, 4] IoU predictions of every mask token
    all_masks: torch.Tensor | None  # [B, 4, 4E, 4E] raw decoder logits (None for mask-as-output)
    ious: torch.Tensor  # [B, K] IoUs of the returned masks


class SAM2Model(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        opts = cfg.model
        if not opts.directly_add_no_mem_embed:
            # Every SAM 2.1 config sets it; the alternative (no_mem_embed as a memory token)
            # is not implemented, so refuse rather than compute something else.
            raise ConfigError("directly_add_no_mem_embed=false is not supported")
        c, m = cfg.hidden_dim, cfg.mem_dim
        self.image_size = cfg.image_size
        self.num_maskmem = opts.num_maskmem
        self.image_encoder = ImageEncoder(cfg.image_encoder)
        if opts.use_obj_ptrs_in_encoder:
            self.mask_downsample = nn.Conv2d(1, 1, kernel_size=4, stride=4)
        self.memory_attention = MemoryAttention(cfg.memory_attention)
        self.memory_encoder = MemoryEncoder(cfg.memory_encoder)
        self.maskmem_tpos_enc = nn.Parameter(torch.zeros(opts.num_maskmem, 1, 1, m))
        self.no_mem_embed = nn.Parameter(torch.zeros(1, 1, c))
        self.no_mem_pos_enc = nn.Parameter(torch.zeros(1, 1, c))
        self.sam_prompt_encoder = PromptEncoder(
            c, cfg.embedding_size, cfg.image_size, cfg.prompt_encoder_mask_in_chans
        )
        dec = cfg.decoder
        self.sam_mask_decoder = MaskDecoder(
            transformer_dim=c,
            transformer=TwoWayTransformer(
                cfg.two_way_transformer_depth,
                c,
                cfg.two_way_transformer_num_heads,
                cfg.two_way_transformer_mlp_dim,
                cfg.two_way_attention_downsample_rate,
            ),
            num_multimask_outputs=cfg.num_multimask_outputs,
            iou_head_depth=cfg.iou_head_depth,
            iou_head_hidden_dim=cfg.iou_head_hidden_dim,
            use_high_res_features=opts.use_high_res_features_in_sam,
            iou_prediction_use_sigmoid=opts.iou_prediction_use_sigmoid,
            pred_obj_scores=opts.pred_obj_scores,
            pred_obj_scores_mlp=opts.pred_obj_scores_mlp,
            use_multimask_token_for_obj_ptr=opts.use_multimask_token_for_obj_ptr,
            dynamic_multimask_via_stability=dec.dynamic_multimask_via_stability,
            dynamic_multimask_stability_delta=dec.dynamic_multimask_stability_delta,
            dynamic_multimask_stability_thresh=dec.dynamic_multimask_stability_thresh,
        )
        if opts.use_obj_ptrs_in_encoder and opts.use_mlp_for_obj_ptr_proj:
            self.obj_ptr_proj: nn.Module = MLP(c, c, c, 3)
        else:
            self.obj_ptr_proj = (
                nn.Identity() if not opts.use_obj_ptrs_in_encoder else nn.Linear(c, c)
            )
        if opts.proj_tpos_enc_in_obj_ptrs:
            self.obj_ptr_tpos_proj: nn.Module = nn.Linear(c, m)
        else:
            self.obj_ptr_tpos_proj = nn.Identity()
        if opts.pred_obj_scores and opts.use_obj_ptrs_in_encoder:
            self.no_obj_ptr = nn.Parameter(torch.zeros(1, c))
        if opts.no_obj_embed_spatial:
            self.no_obj_embed_spatial = nn.Parameter(torch.zeros(1, m))

    # ------------------------------------------------------------------ image features
    def compile_image_encoder(self, **compile_kwargs: Any) -> None:
        """Run the image encoder through ``torch.compile`` from now on. The compiled wrapper
        is kept outside the module tree so state-dict keys stay the official ones."""
        self.__dict__["_compiled_image_encoder"] = torch.compile(
            self.image_encoder, **compile_kwargs
        )

    def forward_image(self, image: torch.Tensor) -> BackboneFeatures:
        """[1, 3, S, S] normalised image -> features (spec §3, incl. conv_s0/conv_s1)."""
        encoder = self.__dict__.get("_compiled_image_encoder")
        out = (self.image_encoder if encoder is None else encoder)(image)
        fpn, pos = out["backbone_fpn"], out["vision_pos_enc"]
        if self.cfg.model.use_high_res_features_in_sam:
            high_res = [
                self.sam_mask_decoder.conv_s0(fpn[0]),
                self.sam_mask_decoder.conv_s1(fpn[1]),
            ]
        else:
            high_res = []
        return BackboneFeatures(high_res=high_res, vision=fpn[-1], vision_pos=pos[-1])

    # ------------------------------------------------------------------ SAM heads
    def use_multimask(self, is_init_cond_frame: bool, num_points: int) -> bool:
        o = self.cfg.model
        return (
            o.multimask_output_in_sam
            and (is_init_cond_frame or o.multimask_output_for_tracking)
            and o.multimask_min_pt_num <= num_points <= o.multimask_max_pt_num
        )

    def _pointer_rule(
        self, obj_ptr: torch.Tensor, present: torch.Tensor, score: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Replace the pointer of absent objects by no_obj_ptr (exact when present); with
        ``soft_no_obj_ptr`` blend by sigmoid(score) instead."""
        if not (self.cfg.model.pred_obj_scores and hasattr(self, "no_obj_ptr")):
            return obj_ptr
        if score is not None and self.cfg.model.soft_no_obj_ptr:
            lam = score.sigmoid().to(obj_ptr.dtype)
        else:
            lam = present.to(obj_ptr.dtype)
        if self.cfg.model.fixed_no_obj_ptr:
            obj_ptr = lam * obj_ptr
        return obj_ptr + (1 - lam) * self.no_obj_ptr

    def sam_heads(
        self,
        features: torch.Tensor,
        high_res: list[torch.Tensor],
        points: tuple[torch.Tensor, torch.Tensor] | None,
        mask_prompt: torch.Tensor | None,
        multimask_output: bool,
    ) -> HeadsOutput:
        """SAM heads of the video model (spec §7).

        features [B, C, E, E] (memory-conditioned or + no_mem_embed); points in model
        pixels ([B, N, 2], [B, N]) or None (-> one not-a-point); mask_prompt [B, 1, h, w] logits.
        """
        b = features.shape[0]
        device = features.device
        if points is None:
            points = (
                torch.zeros(b, 1, 2, device=device),
                -torch.ones(b, 1, dtype=torch.int32, device=device),
            )
        if mask_prompt is not None:
            size = self.sam_prompt_encoder.mask_input_size
            if mask_prompt.shape[-2:] != (size, size):
                mask_prompt = F.interpolate(
                    mask_prompt.float(),
                    size=(size, size),
                    mode="bilinear",
                    align_corners=False,
                    antialias=True,
                )
        sparse, dense = self.sam_prompt_encoder(points, mask_prompt)
        dec = self.sam_mask_decoder(
            features,
            self.sam_prompt_encoder.get_dense_pe(),
            sparse,
            dense,
            multimask_output,
            repeat_image=False,
            high_res_features=high_res,
        )
        masks = dec.masks
        present = dec.object_score_logits > 0  # [B, 1]
        if self.cfg.model.pred_obj_scores:
            masks = torch.where(present[:, :, None, None], masks, NO_OBJ_SCORE)
        masks = masks.float()
        token = dec.tokens[:, 0]
        if multimask_output:
            best = torch.argmax(dec.ious, dim=-1)
            rows = torch.arange(b, device=device)
            low = masks[rows, best].unsqueeze(1)
            if dec.tokens.shape[1] > 1:
                token = dec.tokens[rows, best]
        else:
            low = masks
        high = F.interpolate(
            low, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
        )
        obj_ptr = self._pointer_rule(self.obj_ptr_proj(token), present, dec.object_score_logits)
        return HeadsOutput(
            low_res_masks=low,
            high_res_masks=high,
            obj_ptr=obj_ptr,
            object_score_logits=dec.object_score_logits.float(),
            all_ious=dec.all_ious.float(),
            all_masks=dec.all_masks,
            ious=dec.ious,
        )

    def mask_as_output(
        self, vision: torch.Tensor, high_res: list[torch.Tensor], mask: torch.Tensor
    ) -> HeadsOutput:
        """A mask prompt used directly as the output (spec §7 "mask as output").

        vision [B, C, E, E] plain stride-16 features; mask [B, 1, S, S] of 0/1 floats.
        """
        mask = mask.float()
        high = mask * 20.0 - 10.0
        low_size = high.shape[-1] // 4
        low = F.interpolate(
            high, size=(low_size, low_size), mode="bilinear", align_corners=False, antialias=True
        )
        heads = self.sam_heads(
            vision, high_res, None, self.mask_downsample(mask), multimask_output=False
        )
        present = torch.any(mask.flatten(1) > 0.0, dim=1)[:, None]
        score = 20.0 * present.float() - 10.0
        obj_ptr = self._pointer_rule(heads.obj_ptr, present)
        return HeadsOutput(
            low_res_masks=low,
            high_res_masks=high,
            obj_ptr=obj_ptr,
            object_score_logits=score,
            all_ious=heads.all_ious,
            all_masks=heads.all_masks,
            ious=torch.ones(mask.shape[0], 1, device=mask.device),
        )

    # ------------------------------------------------------------------ memory
    def no_memory_features(self, vision: torch.Tensor) -> torch.Tensor:
        """Initial conditioning frame: stride-16 features + no_mem_embed ([B, C, E, E])."""
        return vision + self.no_mem_embed.reshape(1, -1, 1, 1)

    def condition_on_memory(
        self,
        vision: torch.Tensor,
        vision_pos: torch.Tensor,
        memory: torch.Tensor,
        memory_pos: torch.Tensor,
        num_obj_ptr_tokens: int,
    ) -> torch.Tensor:
        """Memory attention: vision/vision_pos [B, C, E, E], memory/memory_pos [B, T, M]
        (float32) -> conditioned features [B, C, E, E]."""
        b, c, h, w = vision.shape
        curr = vision.flatten(2).transpose(1, 2)
        curr_pos = vision_pos.flatten(2).transpose(1, 2)
        out: torch.Tensor = self.memory_attention(
            curr, curr_pos, memory, memory_pos, num_obj_ptr_tokens
        )
        return out.transpose(1, 2).reshape(b, c, h, w)

    def encode_memory(
        self,
        vision: torch.Tensor,
        high_res_masks: torch.Tensor,
        object_score_logits: torch.Tensor,
        is_mask_from_pts: bool,
    ) -> torch.Tensor:
        """Memory features [B, M, E, E] of a frame output (spec §8.5, float32, not yet rounded)."""
        o = self.cfg.model
        if is_mask_from_pts and self.cfg.video.binarize_mask_from_pts_for_mem_enc:
            mask = (high_res_masks > 0).float()
        else:
            mask = torch.sigmoid(high_res_masks)
        if o.sigmoid_scale_for_mem_enc != 1.0:
            mask = mask * o.sigmoid_scale_for_mem_enc
        if o.sigmoid_bias_for_mem_enc != 0.0:
            mask = mask + o.sigmoid_bias_for_mem_enc
        feats: torch.Tensor = self.memory_encoder(vision, mask)
        if hasattr(self, "no_obj_embed_spatial"):
            absent = 1 - (object_score_logits > 0).float()  # [B, 1]
            feats = feats + absent[..., None, None] * self.no_obj_embed_spatial[..., None, None]
        return feats

    def memory_pos_enc(self, device: torch.device) -> torch.Tensor:
        """[1, M, E, E] position encoding of memory features (constant)."""
        e = self.cfg.embedding_size
        return self.memory_encoder.position_encoding(e, e, device)

    def pointer_pos_enc(
        self, distances: list[int], max_distance: int, device: torch.device
    ) -> torch.Tensor:
        """[P, M] temporal code of object pointers at the given frame distances."""
        c, m = self.cfg.hidden_dim, self.cfg.mem_dim
        o = self.cfg.model
        if not o.add_tpos_enc_to_obj_ptrs:
            return torch.zeros(len(distances), m, device=device)
        pos = torch.tensor(distances, device=device)
        # Official divides by K-1, which is 0 for a 1-frame video (NaN); guard it.
        pe = sine_1d(pos / max(max_distance, 1), dim=c if o.proj_tpos_enc_in_obj_ptrs else m)
        projected: torch.Tensor = self.obj_ptr_tpos_proj(pe)
        return projected
