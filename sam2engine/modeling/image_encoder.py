"""Hiera trunk and FPN neck (spec §3). Attribute names follow the checkpoint keys
``image_encoder.trunk.*`` and ``image_encoder.neck.*``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from sam2engine.config import ImageEncoderConfig, NeckConfig, TrunkConfig
from sam2engine.modeling.common import MLP, attention, sine_position_encoding


class EncodeCancelled(Exception):
    """An encoding run inside :func:`cancellable` was told to stop between two trunk blocks."""


# Per thread: the check an encoding run makes between trunk blocks (see `cancellable`).
_between_blocks = threading.local()


@contextmanager
def cancellable(cancelled: Callable[[], bool]) -> Iterator[None]:
    """Within this block, image encodings run by this thread call ``cancelled()`` between
    trunk blocks (and between a block's attention and MLP) and raise
    :class:`EncodeCancelled` when it returns True. Other threads' encodings are unaffected;
    a compiled encoder is not interrupted (no Python runs inside)."""
    previous = getattr(_between_blocks, "check", None)
    _between_blocks.check = cancelled
    try:
        yield
    finally:
        _between_blocks.check = previous


def _check_cancelled() -> None:
    if torch.compiler.is_compiling():
        return
    check = getattr(_between_blocks, "check", None)
    if check is not None and check():
        raise EncodeCancelled


def _pool_nhwc(x: torch.Tensor, pool: nn.Module | None) -> torch.Tensor:
    """Apply a 2D pooling module to a [B, H, W, C] tensor."""
    if pool is None:
        return x
    pooled: torch.Tensor = pool(x.permute(0, 3, 1, 2))
    return pooled.permute(0, 2, 3, 1)


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """[B, H, W, C] -> [B * nW, window, window, C], zero-padding bottom/right to a multiple
    of ``window``. Padded tokens stay in the attention unmasked (as in the official code)."""
    b, h, w, c = x.shape
    pad_h = (window - h % window) % window
    pad_w = (window - w % window) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = h + pad_h, w + pad_w
    x = x.view(b, hp // window, window, wp // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window, window, c), (hp, wp)


def window_unpartition(
    windows: torch.Tensor, window: int, padded_hw: tuple[int, int], hw: tuple[int, int]
) -> torch.Tensor:
    """Inverse of :func:`window_partition`, cropping the padding."""
    hp, wp = padded_hw
    h, w = hw
    b = windows.shape[0] // ((hp // window) * (wp // window))
    x = windows.reshape(b, hp // window, wp // window, window, window, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, -1)
    if hp > h or wp > w:
        x = x[:, :h, :w, :].contiguous()
    return x


class PatchEmbed(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=7, stride=4, padding=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.proj(x)
        return out.permute(0, 2, 3, 1)  # [B, H/4, W/4, D]


class MultiScaleAttention(nn.Module):
    def __init__(self, dim: int, dim_out: int, num_heads: int, q_pool: nn.Module | None) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_pool = q_pool
        self.qkv = nn.Linear(dim, dim_out * 3)
        self.proj = nn.Linear(dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, _ = x.shape
        qkv = self.qkv(x).reshape(b, h * w, 3, self.num_heads, -1)
        q, k, v = torch.unbind(qkv, 2)
        if self.q_pool is not None:
            # Only the queries are pooled; keys/values keep the full window.
            q = _pool_nhwc(q.reshape(b, h, w, -1), self.q_pool)
            h, w = q.shape[1:3]
            q = q.reshape(b, h * w, self.num_heads, -1)
        x = attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        x = x.transpose(1, 2).reshape(b, h, w, -1)
        out: torch.Tensor = self.proj(x)
        return out


class MultiScaleBlock(nn.Module):
    def __init__(
        self,
        dim: int,
        dim_out: int,
        num_heads: int,
        q_stride: tuple[int, int] | None,
        window_size: int,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        self.dim, self.dim_out = dim, dim_out
        self.window_size = window_size
        self.q_stride = q_stride
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.pool = nn.MaxPool2d(kernel_size=q_stride, stride=q_stride) if q_stride else None
        self.attn = MultiScaleAttention(dim, dim_out, num_heads, q_pool=self.pool)
        self.norm2 = nn.LayerNorm(dim_out, eps=1e-6)
        self.mlp = MLP(dim_out, int(dim_out * mlp_ratio), dim_out, num_layers=2, activation=nn.GELU)
        if dim != dim_out:
            self.proj = nn.Linear(dim, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.dim != self.dim_out:
            shortcut = _pool_nhwc(self.proj(x), self.pool)
        window = self.window_size
        padded_hw = (0, 0)
        if window > 0:
            x, padded_hw = window_partition(x, window)
        x = self.attn(x)
        _check_cancelled()  # also half-way through a block: attention and MLP are each long
        if self.q_stride:
            window = self.window_size // self.q_stride[0]
            h, w = shortcut.shape[1:3]
            padded_hw = (h + (window - h % window) % window, w + (window - w % window) % window)
        if window > 0:
            x = window_unpartition(x, window, padded_hw, (shortcut.shape[1], shortcut.shape[2]))
        x = shortcut + x
        mlp_out: torch.Tensor = self.mlp(self.norm2(x))
        return x + mlp_out


class Hiera(nn.Module):
    """Hierarchical ViT trunk; emits the last block of each stage as NCHW features."""

    def __init__(self, cfg: TrunkConfig) -> None:
        super().__init__()
        stages = list(cfg.stages)
        depth = sum(stages)
        self.stage_ends = [sum(stages[:i]) - 1 for i in range(1, len(stages) + 1)]
        q_pool_blocks = [end + 1 for end in self.stage_ends[:-1]][: cfg.q_pool]
        self.return_interm_layers = cfg.return_interm_layers
        embed_dim, num_heads = cfg.embed_dim, cfg.num_heads
        self.patch_embed = PatchEmbed(embed_dim)
        bh, bw = cfg.window_pos_embed_bkg_spatial_size
        self.pos_embed = nn.Parameter(torch.zeros(1, embed_dim, bh, bw))
        w0 = cfg.window_spec[0]
        self.pos_embed_window = nn.Parameter(torch.zeros(1, embed_dim, w0, w0))
        blocks = []
        cur_stage = 1
        for i in range(depth):
            dim_out = embed_dim
            # The first block of a stage still uses the previous stage's window size.
            window = cfg.window_spec[cur_stage - 1]
            if i in cfg.global_att_blocks:
                window = 0
            if i - 1 in self.stage_ends:
                dim_out = int(embed_dim * cfg.dim_mul)
                num_heads = int(num_heads * cfg.head_mul)
                cur_stage += 1
            blocks.append(
                MultiScaleBlock(
                    embed_dim,
                    dim_out,
                    num_heads,
                    cfg.q_stride if i in q_pool_blocks else None,
                    window,
                )
            )
            embed_dim = dim_out
        self.blocks = nn.ModuleList(blocks)

    def _pos_embed(self, h: int, w: int) -> torch.Tensor:
        pos = F.interpolate(self.pos_embed, size=(h, w), mode="bicubic")
        win = self.pos_embed_window
        pos = pos + win.tile([a // b for a, b in zip(pos.shape, win.shape, strict=True)])
        return pos.permute(0, 2, 3, 1)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.patch_embed(x)
        x = x + self._pos_embed(x.shape[1], x.shape[2])
        outputs = []
        for i, block in enumerate(self.blocks):
            _check_cancelled()
            x = block(x)
            if i == self.stage_ends[-1] or (i in self.stage_ends and self.return_interm_layers):
                outputs.append(x.permute(0, 3, 1, 2))
        return outputs


class FpnNeck(nn.Module):
    def __init__(self, cfg: NeckConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.convs = nn.ModuleList()
        for dim in cfg.backbone_channel_list:
            level = nn.Sequential()
            level.add_module(
                "conv", nn.Conv2d(dim, cfg.d_model, cfg.kernel_size, cfg.stride, cfg.padding)
            )
            self.convs.append(level)
        self._pe_cache: dict[tuple[int, int, str], torch.Tensor] = {}

    def position_encoding(self, x: torch.Tensor) -> torch.Tensor:
        pe_cfg = self.cfg.position_encoding
        key = (x.shape[-2], x.shape[-1], str(x.device))
        pe = self._pe_cache.get(key)
        if pe is None:
            pe = sine_position_encoding(
                pe_cfg.num_pos_feats,
                x.shape[-2],
                x.shape[-1],
                temperature=pe_cfg.temperature,
                normalize=pe_cfg.normalize,
                scale=pe_cfg.effective_scale,
                device=x.device,
            )
            self._pe_cache[key] = pe
        return pe.expand(x.shape[0], -1, -1, -1).to(x.dtype)

    def forward(self, xs: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        n = len(self.convs) - 1
        out: list[torch.Tensor] = [None] * len(self.convs)  # type: ignore[list-item]
        pos: list[torch.Tensor] = [None] * len(self.convs)  # type: ignore[list-item]
        prev = None
        for i in range(n, -1, -1):
            lateral = self.convs[n - i](xs[i])
            if i in self.cfg.fpn_top_down_levels and prev is not None:
                top_down = F.interpolate(
                    prev.to(torch.float32), scale_factor=2.0, mode=self.cfg.fpn_interp_model
                ).to(lateral.dtype)
                prev = lateral + top_down
                if self.cfg.fuse_type == "avg":
                    prev = prev / 2
            else:
                prev = lateral
            out[i] = prev
            pos[i] = self.position_encoding(prev)
        return out, pos


class ImageEncoder(nn.Module):
    def __init__(self, cfg: ImageEncoderConfig) -> None:
        super().__init__()
        self.trunk = Hiera(cfg.trunk)
        self.neck = FpnNeck(cfg.neck)
        self.scalp = cfg.scalp

    def forward(self, sample: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        """[B, 3, S, S] normalised image -> backbone_fpn / vision_pos_enc at strides 4, 8, 16."""
        features, pos = self.neck(self.trunk(sample))
        if self.scalp > 0:
            features, pos = features[: -self.scalp], pos[: -self.scalp]
        return {"backbone_fpn": features, "vision_pos_enc": pos}
