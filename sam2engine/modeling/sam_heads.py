"""Prompt encoder, two-way transformer and mask decoder (spec §4, §5).

Attribute names follow the checkpoint keys ``sam_prompt_encoder.*`` and
``sam_mask_decoder.*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from sam2engine.modeling.common import MLP, LayerNorm2d, attention


class PositionEmbeddingRandom(nn.Module):
    """Random Fourier features of coordinates in [0, 1]^2 (stored 2 x P/2 matrix)."""

    positional_encoding_gaussian_matrix: torch.Tensor  # buffer registered in __init__

    def __init__(self, num_pos_feats: int) -> None:
        super().__init__()
        self.register_buffer("positional_encoding_gaussian_matrix", torch.randn((2, num_pos_feats)))

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        """[..., 2] coords in [0, 1] -> [..., P] (sines first). Always float32: under
        bfloat16 autocast the phases (up to ~2*pi*|G|) would lose most of their precision."""
        with torch.autocast(device_type=coords.device.type, enabled=False):
            coords = 2 * coords.float() - 1
            coords = coords @ self.positional_encoding_gaussian_matrix.float()
            coords = 2 * math.pi * coords
            return torch.cat([torch.sin(coords), torch.cos(coords)], dim=-1)

    def dense(self, size: int) -> torch.Tensor:
        """[P, size, size] encoding of cell centres of a size x size grid."""
        grid = torch.ones(
            (size, size),
            device=self.positional_encoding_gaussian_matrix.device,
            dtype=torch.float32,
        )
        y_embed = (grid.cumsum(dim=0) - 0.5) / size
        x_embed = (grid.cumsum(dim=1) - 0.5) / size
        return self.encode(torch.stack([x_embed, y_embed], dim=-1)).permute(2, 0, 1)

    def encode_points(self, coords: torch.Tensor, image_size: int) -> torch.Tensor:
        """[B, N, 2] pixel coords (x, y) in model space -> [B, N, P]."""
        coords = coords.clone()
        coords[:, :, 0] = coords[:, :, 0] / image_size
        coords[:, :, 1] = coords[:, :, 1] / image_size
        return self.encode(coords.to(torch.float32))


class PromptEncoder(nn.Module):
    def __init__(
        self, embed_dim: int, embedding_size: int, image_size: int, mask_in_chans: int
    ) -> None:
        super().__init__()
        self.embed_dim = embed_dim
        self.embedding_size = embedding_size  # E
        self.image_size = image_size  # S
        self.mask_input_size = 4 * embedding_size
        self.pe_layer = PositionEmbeddingRandom(embed_dim // 2)
        # 0 negative click, 1 positive click, 2 box top-left, 3 box bottom-right
        self.point_embeddings = nn.ModuleList(nn.Embedding(1, embed_dim) for _ in range(4))
        self.not_a_point_embed = nn.Embedding(1, embed_dim)
        self.mask_downscaling = nn.Sequential(
            nn.Conv2d(1, mask_in_chans // 4, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans // 4),
            nn.GELU(),
            nn.Conv2d(mask_in_chans // 4, mask_in_chans, kernel_size=2, stride=2),
            LayerNorm2d(mask_in_chans),
            nn.GELU(),
            nn.Conv2d(mask_in_chans, embed_dim, kernel_size=1),
        )
        self.no_mask_embed = nn.Embedding(1, embed_dim)
        self._dense_pe: torch.Tensor | None = None

    def get_dense_pe(self) -> torch.Tensor:
        """[1, C, E, E] positional encoding of the image embedding (cached: it depends
        only on the stored matrix, which never changes after loading)."""
        pe = self._dense_pe
        matrix = self.pe_layer.positional_encoding_gaussian_matrix
        if pe is None or pe.device != matrix.device or self.training:
            pe = self.pe_layer.dense(self.embedding_size).unsqueeze(0)
            self._dense_pe = pe
        return pe

    def invalidate_cache(self) -> None:
        self._dense_pe = None

    def _embed_points(self, points: torch.Tensor, labels: torch.Tensor, pad: bool) -> torch.Tensor:
        points = points + 0.5  # pixel centres
        if pad:
            points = torch.cat([points, torch.zeros_like(points[:, :1])], dim=1)
            labels = torch.cat([labels, -torch.ones_like(labels[:, :1])], dim=1)
        emb = self.pe_layer.encode_points(points, self.image_size)
        lab = labels.unsqueeze(-1)
        emb = torch.where(lab == -1, torch.zeros_like(emb) + self.not_a_point_embed.weight, emb)
        for i, table in enumerate(self.point_embeddings):
            assert isinstance(table, nn.Embedding)  # narrows ModuleList's nn.Module for mypy
            emb = torch.where(lab == i, emb + table.weight, emb)
        return emb

    def forward(
        self,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        masks: torch.Tensor | None,
        batch_size: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse [B, N(+1), C] and dense [B, C, E, E] prompt embeddings.

        ``points``: ([B, N, 2] model-space pixel coords, [B, N] int labels); a padding
        point (label -1) is always appended (boxes arrive here as points 2/3).
        ``masks``: [B, 1, 4E, 4E] logits or None.
        """
        if points is not None:
            bs = points[0].shape[0]
        elif masks is not None:
            bs = masks.shape[0]
        else:
            bs = batch_size or 1
        device = self.no_mask_embed.weight.device
        if points is not None:
            sparse = self._embed_points(points[0], points[1], pad=True)
        else:
            sparse = torch.empty((bs, 0, self.embed_dim), device=device)
        if masks is not None:
            dense = self.mask_downscaling(masks)
        else:
            e = self.embedding_size
            dense = self.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(bs, -1, e, e)
        return sparse, dense


class Attention(nn.Module):
    """Multi-head attention with optional down-projection (internal width C/rate)."""

    def __init__(
        self,
        embedding_dim: int,
        num_heads: int,
        downsample_rate: int = 1,
        kv_in_dim: int | None = None,
    ) -> None:
        super().__init__()
        kv_in_dim = kv_in_dim if kv_in_dim is not None else embedding_dim
        self.internal_dim = embedding_dim // downsample_rate
        self.num_heads = num_heads
        self.q_proj = nn.Linear(embedding_dim, self.internal_dim)
        self.k_proj = nn.Linear(kv_in_dim, self.internal_dim)
        self.v_proj = nn.Linear(kv_in_dim, self.internal_dim)
        self.out_proj = nn.Linear(self.internal_dim, embedding_dim)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    @staticmethod
    def _merge(x: torch.Tensor) -> torch.Tensor:
        b, h, n, d = x.shape
        return x.transpose(1, 2).reshape(b, n, h * d)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        q = self._heads(self.q_proj(q))
        k = self._heads(self.k_proj(k))
        v = self._heads(self.v_proj(v))
        out: torch.Tensor = self.out_proj(self._merge(attention(q, k, v)))
        return out


class TwoWayAttentionBlock(nn.Module):
    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_dim: int,
        downsample_rate: int,
        skip_first_layer_pe: bool,
    ) -> None:
        super().__init__()
        self.self_attn = Attention(dim, num_heads)
        self.norm1 = nn.LayerNorm(dim)
        self.cross_attn_token_to_image = Attention(dim, num_heads, downsample_rate=downsample_rate)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, mlp_dim, dim, num_layers=2, activation=nn.ReLU)
        self.norm3 = nn.LayerNorm(dim)
        self.norm4 = nn.LayerNorm(dim)
        self.cross_attn_image_to_token = Attention(dim, num_heads, downsample_rate=downsample_rate)
        self.skip_first_layer_pe = skip_first_layer_pe

    def forward(
        self,
        queries: torch.Tensor,
        keys: torch.Tensor,
        query_pe: torch.Tensor,
        key_pe: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.skip_first_layer_pe:
            queries = self.self_attn(queries, queries, queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q, q, queries)
        queries = self.norm1(queries)
        q, k = queries + query_pe, keys + key_pe
        queries = self.norm2(queries + self.cross_attn_token_to_image(q, k, keys))
        queries = self.norm3(queries + self.mlp(queries))
        q, k = queries + query_pe, keys + key_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(k, q, queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    def __init__(
        self, depth: int, embedding_dim: int, num_heads: int, mlp_dim: int, downsample_rate: int
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TwoWayAttentionBlock(
                embedding_dim, num_heads, mlp_dim, downsample_rate, skip_first_layer_pe=(i == 0)
            )
            for i in range(depth)
        )
        self.final_attn_token_to_image = Attention(
            embedding_dim, num_heads, downsample_rate=downsample_rate
        )
        self.norm_final_attn = nn.LayerNorm(embedding_dim)

    def forward(
        self, image: torch.Tensor, image_pe: torch.Tensor, tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        keys = image.flatten(2).permute(0, 2, 1)
        key_pe = image_pe.flatten(2).permute(0, 2, 1)
        queries = tokens
        for layer in self.layers:
            queries, keys = layer(queries, keys, tokens, key_pe)
        attn = self.final_attn_token_to_image(queries + tokens, keys + key_pe, keys)
        return self.norm_final_attn(queries + attn), keys


@dataclass
class DecoderOutput:
    """Raw mask-decoder outputs before and after selection."""

    all_masks: torch.Tensor  # [B, 4, 4E, 4E] logits of every mask token
    all_ious: torch.Tensor  # [B, 4]
    masks: torch.Tensor  # [B, K, 4E, 4E] selected (K = 3 multimask, else 1)
    ious: torch.Tensor  # [B, K]
    tokens: torch.Tensor  # [B, K', C] output tokens for the object pointer
    object_score_logits: torch.Tensor  # [B, 1]
    stability: torch.Tensor  # [B] single-mask stability score of token 0


class MaskDecoder(nn.Module):
    def __init__(
        self,
        transformer_dim: int,
        transformer: TwoWayTransformer,
        num_multimask_outputs: int,
        iou_head_depth: int,
        iou_head_hidden_dim: int,
        use_high_res_features: bool,
        iou_prediction_use_sigmoid: bool,
        pred_obj_scores: bool,
        pred_obj_scores_mlp: bool,
        use_multimask_token_for_obj_ptr: bool,
        dynamic_multimask_via_stability: bool,
        dynamic_multimask_stability_delta: float,
        dynamic_multimask_stability_thresh: float,
    ) -> None:
        super().__init__()
        c = transformer_dim
        self.transformer = transformer
        self.num_mask_tokens = num_multimask_outputs + 1
        self.iou_token = nn.Embedding(1, c)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, c)
        self.pred_obj_scores = pred_obj_scores
        if pred_obj_scores:
            self.obj_score_token = nn.Embedding(1, c)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(c, c // 4, kernel_size=2, stride=2),
            LayerNorm2d(c // 4),
            nn.GELU(),
            nn.ConvTranspose2d(c // 4, c // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.use_high_res_features = use_high_res_features
        if use_high_res_features:
            self.conv_s0 = nn.Conv2d(c, c // 8, kernel_size=1)
            self.conv_s1 = nn.Conv2d(c, c // 4, kernel_size=1)
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(c, c, c // 8, 3) for _ in range(self.num_mask_tokens)
        )
        self.iou_prediction_head = MLP(
            c,
            iou_head_hidden_dim,
            self.num_mask_tokens,
            iou_head_depth,
            sigmoid_output=iou_prediction_use_sigmoid,
        )
        if pred_obj_scores:
            self.pred_obj_score_head = MLP(c, c, 1, 3) if pred_obj_scores_mlp else nn.Linear(c, 1)
        self.use_multimask_token_for_obj_ptr = use_multimask_token_for_obj_ptr
        self.dynamic_multimask_via_stability = dynamic_multimask_via_stability
        self.stability_delta = dynamic_multimask_stability_delta
        self.stability_thresh = dynamic_multimask_stability_thresh

    def stability_scores(self, logits: torch.Tensor) -> torch.Tensor:
        """#(logit > delta) / #(logit > -delta) over the last two dims (1 if empty)."""
        flat = logits.flatten(-2)
        inter = torch.sum(flat > self.stability_delta, dim=-1).float()
        union = torch.sum(flat > -self.stability_delta, dim=-1).float()
        return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))

    def forward(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse: torch.Tensor,
        dense: torch.Tensor,
        multimask_output: bool,
        repeat_image: bool,
        high_res_features: list[torch.Tensor] | None,
    ) -> DecoderOutput:
        if self.pred_obj_scores:
            out_tokens = torch.cat(
                [self.obj_score_token.weight, self.iou_token.weight, self.mask_tokens.weight]
            )
            s = 1
        else:
            out_tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight])
            s = 0
        out_tokens = out_tokens.unsqueeze(0).expand(sparse.shape[0], -1, -1)
        tokens = torch.cat((out_tokens, sparse.to(out_tokens.dtype)), dim=1)
        if repeat_image:
            src = torch.repeat_interleave(image_embeddings, tokens.shape[0], dim=0)
        else:
            src = image_embeddings
        src = src + dense
        pos_src = torch.repeat_interleave(image_pe, tokens.shape[0], dim=0)
        b, c, h, w = src.shape
        hs, src = self.transformer(src, pos_src, tokens)
        iou_token_out = hs[:, s, :]
        mask_tokens_out = hs[:, s + 1 : s + 1 + self.num_mask_tokens, :]
        src = src.transpose(1, 2).reshape(b, c, h, w)
        if not self.use_high_res_features:
            upscaled = self.output_upscaling(src)
        else:
            dc1, ln1, act1, dc2, act2 = self.output_upscaling
            feat_s0, feat_s1 = high_res_features  # type: ignore[misc]
            upscaled = act1(ln1(dc1(src) + feat_s1))
            upscaled = act2(dc2(upscaled) + feat_s0)
        hyper_in = torch.stack(
            [mlp(mask_tokens_out[:, i, :]) for i, mlp in enumerate(self.output_hypernetworks_mlps)],
            dim=1,
        )
        b, c, h, w = upscaled.shape
        all_masks = (hyper_in @ upscaled.reshape(b, c, h * w)).reshape(b, -1, h, w)
        all_ious = self.iou_prediction_head(iou_token_out)
        if self.pred_obj_scores:
            obj_scores = self.pred_obj_score_head(hs[:, 0, :])
        else:
            obj_scores = 10.0 * all_ious.new_ones(all_ious.shape[0], 1)

        stability = self.stability_scores(all_masks[:, 0])
        if multimask_output:
            masks, ious = all_masks[:, 1:], all_ious[:, 1:]
        elif self.dynamic_multimask_via_stability and not self.training:
            masks, ious = self._dynamic_select(all_masks, all_ious, stability)
        else:
            masks, ious = all_masks[:, 0:1], all_ious[:, 0:1]
        if multimask_output and self.use_multimask_token_for_obj_ptr:
            tokens_out = mask_tokens_out[:, 1:]
        else:
            # Token 0 also when the stability fallback returned a multimask mask.
            tokens_out = mask_tokens_out[:, 0:1]
        return DecoderOutput(all_masks, all_ious, masks, ious, tokens_out, obj_scores, stability)

    def _dynamic_select(
        self, all_masks: torch.Tensor, all_ious: torch.Tensor, stability: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keep token 0 if its mask is stable, else the multimask token with best IoU."""
        multi_masks, multi_ious = all_masks[:, 1:], all_ious[:, 1:]
        best = torch.argmax(multi_ious, dim=-1)  # first index on ties
        rows = torch.arange(multi_ious.shape[0], device=all_ious.device)
        best_masks = multi_masks[rows, best].unsqueeze(1)
        best_ious = multi_ious[rows, best].unsqueeze(1)
        stable = stability >= self.stability_thresh
        masks = torch.where(stable[:, None, None, None], all_masks[:, 0:1], best_masks)
        ious = torch.where(stable[:, None], all_ious[:, 0:1], best_ious)
        return masks, ious
