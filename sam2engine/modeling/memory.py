"""Memory attention with 2D RoPE and the memory encoder (spec §8.5, §8.7).

Attribute names follow the checkpoint keys ``memory_attention.*`` and ``memory_encoder.*``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from sam2engine.config import AttentionConfig, MemoryAttentionConfig, MemoryEncoderConfig
from sam2engine.modeling.common import LayerNorm2d, attention, sine_position_encoding


def axial_rope_angles(dim: int, side: int, theta: float, device: torch.device) -> torch.Tensor:
    """[side*side, dim/2] rotation angles of a side x side grid, row-major tokens.

    Pair j < dim/4 rotates by x * f_j, pair j >= dim/4 by y * f_(j - dim/4),
    f_k = theta^(-4k/dim) (same float32 op order as the official table).
    """
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 4, device=device)[: dim // 4].float() / dim))
    t = torch.arange(side * side, dtype=torch.float32, device=device)
    t_x = t % side
    t_y = torch.div(t, side, rounding_mode="floor")
    return torch.cat([torch.outer(t_x, freqs), torch.outer(t_y, freqs)], dim=-1)


def rotate_pairs_(x: torch.Tensor, rotation: torch.Tensor) -> None:
    """Rotate consecutive channel pairs of x [..., N, d] (float32) in place by the unit complex
    numbers rotation [N, d/2], broadcast over the leading dims (as the official complex RoPE).

    In place because the callers own freshly projected queries and keys: no copies of the
    ~28k memory keys per layer.
    """
    pairs = torch.view_as_complex(torch.unflatten(x, -1, (-1, 2)))
    pairs.mul_(rotation)


class RoPEAttention(nn.Module):
    def __init__(self, cfg: AttentionConfig) -> None:
        super().__init__()
        kv_in = cfg.kv_in_dim if cfg.kv_in_dim is not None else cfg.embedding_dim
        self.internal_dim = cfg.embedding_dim // cfg.downsample_rate
        self.num_heads = cfg.num_heads
        self.theta = cfg.rope_theta
        self.rope_k_repeat = cfg.rope_k_repeat
        self.q_proj = nn.Linear(cfg.embedding_dim, self.internal_dim)
        self.k_proj = nn.Linear(kv_in, self.internal_dim)
        self.v_proj = nn.Linear(kv_in, self.internal_dim)
        self.out_proj = nn.Linear(self.internal_dim, cfg.embedding_dim)
        self._table: dict[tuple[int, str], torch.Tensor] = {}

    def _rope(self, n: int, device: torch.device) -> torch.Tensor:
        """[n, head_dim/2] complex64 rotations of a square grid of n query tokens."""
        side = int(math.isqrt(n))
        if side * side != n:
            raise ValueError(f"RoPE needs a square query grid, got {n} tokens")
        key = (n, str(device))
        cached = self._table.get(key)
        if cached is None:
            ang = axial_rope_angles(self.internal_dim // self.num_heads, side, self.theta, device)
            cached = torch.polar(torch.ones_like(ang), ang)
            self._table[key] = cached
        return cached

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def forward(
        self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, num_k_exclude_rope: int = 0
    ) -> torch.Tensor:
        # Projections are float32 here (autocast on CUDA computes RoPE in float32 first).
        q = self._heads(self.q_proj(q).float())
        k = self._heads(self.k_proj(k).float())
        v = self._heads(self.v_proj(v))
        nq = q.shape[-2]
        rotation = self._rope(nq, q.device)
        rotate_pairs_(q, rotation)
        n_rope = k.shape[-2] - num_k_exclude_rope
        if n_rope > 0:
            if n_rope % nq or (n_rope != nq and not self.rope_k_repeat):
                raise ValueError("keys need rope_k_repeat and a multiple of the query grid")
            # Memory keys are num_maskmem frames of the query grid: rotate them as
            # [B, H, frames, N, d] against the grid's table, broadcast instead of repeated.
            # Object-pointer tokens after them take no rotation.
            memory_keys = torch.unflatten(k[:, :, :n_rope], 2, (n_rope // nq, nq))
            rotate_pairs_(memory_keys, rotation)
        q, k = q.type_as(v), k.type_as(v)
        out = attention(q, k, v)
        b, h, n, d = out.shape
        projected: torch.Tensor = self.out_proj(out.transpose(1, 2).reshape(b, n, h * d))
        return projected


class MemoryAttentionLayer(nn.Module):
    def __init__(self, cfg: MemoryAttentionConfig) -> None:
        super().__init__()
        lc = cfg.layer
        self.self_attn = RoPEAttention(lc.self_attention)
        self.cross_attn_image = RoPEAttention(lc.cross_attention)
        self.linear1 = nn.Linear(lc.d_model, lc.dim_feedforward)
        self.linear2 = nn.Linear(lc.dim_feedforward, lc.d_model)
        self.norm1 = nn.LayerNorm(lc.d_model)
        self.norm2 = nn.LayerNorm(lc.d_model)
        self.norm3 = nn.LayerNorm(lc.d_model)
        acts: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
            "relu": F.relu,
            "gelu": F.gelu,
            "glu": F.glu,
        }
        if lc.activation not in acts:
            raise ValueError(f"unsupported activation {lc.activation!r}")
        self.activation = acts[lc.activation]
        self.pos_enc_at_attn = lc.pos_enc_at_attn
        self.pos_enc_at_cross_attn_keys = lc.pos_enc_at_cross_attn_keys
        self.pos_enc_at_cross_attn_queries = lc.pos_enc_at_cross_attn_queries

    def forward(
        self,
        tgt: torch.Tensor,
        memory: torch.Tensor,
        pos: torch.Tensor,
        query_pos: torch.Tensor,
        num_k_exclude_rope: int,
    ) -> torch.Tensor:
        h = self.norm1(tgt)
        q = h + query_pos if self.pos_enc_at_attn else h
        tgt = tgt + self.self_attn(q, q, h)
        h = self.norm2(tgt)
        tgt = tgt + self.cross_attn_image(
            h + query_pos if self.pos_enc_at_cross_attn_queries else h,
            memory + pos if self.pos_enc_at_cross_attn_keys else memory,
            memory,
            num_k_exclude_rope=num_k_exclude_rope,
        )
        h = self.norm3(tgt)
        ffn: torch.Tensor = self.linear2(self.activation(self.linear1(h)))
        return tgt + ffn


class MemoryAttention(nn.Module):
    def __init__(self, cfg: MemoryAttentionConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(MemoryAttentionLayer(cfg) for _ in range(cfg.num_layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.pos_enc_at_input = cfg.pos_enc_at_input

    def forward(
        self,
        curr: torch.Tensor,
        curr_pos: torch.Tensor,
        memory: torch.Tensor,
        memory_pos: torch.Tensor,
        num_obj_ptr_tokens: int = 0,
    ) -> torch.Tensor:
        """Batch-first: curr/curr_pos [B, HW, C], memory/memory_pos [B, T, M] -> [B, HW, C]."""
        x = curr
        if self.pos_enc_at_input:
            x = x + 0.1 * curr_pos
        for layer in self.layers:
            x = layer(x, memory, memory_pos, curr_pos, num_obj_ptr_tokens)
        out: torch.Tensor = self.norm(x)
        return out


class MaskDownSampler(nn.Module):
    """Strided conv ladder 1 -> 4 -> 16 -> ... channels, then a 1x1 conv to embed_dim."""

    def __init__(
        self, embed_dim: int, kernel_size: int, stride: int, padding: int, total_stride: int
    ) -> None:
        super().__init__()
        num_layers = int(round(math.log2(total_stride) / math.log2(stride)))
        layers: list[nn.Module] = []
        c_in = 1
        for _ in range(num_layers):
            c_out = c_in * stride * stride
            layers += [
                nn.Conv2d(c_in, c_out, kernel_size, stride, padding),
                LayerNorm2d(c_out),
                nn.GELU(),
            ]
            c_in = c_out
        layers.append(nn.Conv2d(c_in, embed_dim, kernel_size=1))
        self.encoder = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.encoder(x)
        return out


class CXBlock(nn.Module):
    """ConvNeXt block: depthwise 7x7, LN2d, pointwise MLP, layer scale, residual."""

    def __init__(
        self,
        dim: int,
        kernel_size: int,
        padding: int,
        layer_scale_init_value: float,
        use_dwconv: bool,
    ) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(
            dim, dim, kernel_size, padding=padding, groups=dim if use_dwconv else 1
        )
        self.norm = LayerNorm2d(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = (
            nn.Parameter(layer_scale_init_value * torch.ones(dim))
            if layer_scale_init_value > 0
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h: torch.Tensor = self.norm(self.dwconv(x)).permute(0, 2, 3, 1)
        h = self.pwconv2(self.act(self.pwconv1(h)))
        if self.gamma is not None:
            h = self.gamma * h
        return x + h.permute(0, 3, 1, 2)


class Fuser(nn.Module):
    def __init__(self, cfg: MemoryEncoderConfig) -> None:
        super().__init__()
        fc = cfg.fuser
        if fc.input_projection:
            self.proj: nn.Module = nn.Conv2d(fc.layer.dim, fc.layer.dim, kernel_size=1)
        else:
            self.proj = nn.Identity()
        lc = fc.layer
        self.layers = nn.ModuleList(
            CXBlock(lc.dim, lc.kernel_size, lc.padding, lc.layer_scale_init_value, lc.use_dwconv)
            for _ in range(fc.num_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        for layer in self.layers:
            x = layer(x)
        return x


class MemoryEncoder(nn.Module):
    def __init__(self, cfg: MemoryEncoderConfig) -> None:
        super().__init__()
        md = cfg.mask_downsampler
        self.mask_downsampler = MaskDownSampler(
            md.embed_dim, md.kernel_size, md.stride, md.padding, md.total_stride
        )
        self.pix_feat_proj = nn.Conv2d(cfg.in_dim, cfg.in_dim, kernel_size=1)
        self.fuser = Fuser(cfg)
        self.out_proj = (
            nn.Conv2d(cfg.in_dim, cfg.out_dim, kernel_size=1)
            if cfg.out_dim != cfg.in_dim
            else nn.Identity()
        )
        self.pe_cfg = cfg.position_encoding
        self._pe: dict[tuple[int, int, str], torch.Tensor] = {}

    def position_encoding(self, h: int, w: int, device: torch.device) -> torch.Tensor:
        """[1, M, h, w] sine encoding of the memory grid (constant, cached)."""
        key = (h, w, str(device))
        pe = self._pe.get(key)
        if pe is None:
            pe = sine_position_encoding(
                self.pe_cfg.num_pos_feats,
                h,
                w,
                temperature=self.pe_cfg.temperature,
                normalize=self.pe_cfg.normalize,
                scale=self.pe_cfg.effective_scale,
                device=device,
            )
            self._pe[key] = pe
        return pe

    def forward(self, pix_feat: torch.Tensor, mask_for_mem: torch.Tensor) -> torch.Tensor:
        """pix_feat [B, C, E, E] (stride-16 features, no memory), mask_for_mem [B, 1, S, S]
        already scaled to about [-10, 10] -> memory features [B, M, E, E]."""
        masks = self.mask_downsampler(mask_for_mem)
        x = self.pix_feat_proj(pix_feat) + masks
        out: torch.Tensor = self.out_proj(self.fuser(x))
        return out
