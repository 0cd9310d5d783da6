"""Model configuration: frozen dataclasses read from JSON.

The JSON schema is the one of ``sam2ref/micro/config.json`` (sections ``image_encoder``,
``memory_attention``, ``memory_encoder``, ``model``, ``builder_overrides``,
``image_predictor``, ``preprocessing``). Keys starting with ``_`` are comments; purely
descriptive sections (``trunk_fixed``, ``sam_heads_fixed``) are ignored because those
values are fixed by the architecture. Every derived size (feature grids, low-res mask
size, RoPE grid) is computed from ``image_size`` and ``backbone_stride``; nothing is tied
to 1024 px.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

CONFIG_DIR = Path(__file__).resolve().parent / "configs"

#: Preset name -> JSON file shipped in ``sam2engine/configs``.
PRESETS: dict[str, str] = {
    "tiny": "sam2.1_hiera_t.json",
    "small": "sam2.1_hiera_s.json",
    "base_plus": "sam2.1_hiera_b+.json",
    "large": "sam2.1_hiera_l.json",
    "micro": "sam2.1_micro.json",
}


class ConfigError(ValueError):
    """The JSON does not describe a buildable model."""


T = TypeVar("T")


def _unknown_key(where: str, key: str, known: Iterable[str]) -> ConfigError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{where}: unknown key {key!r}{hint}")


def _check_keys(
    data: Mapping[str, Any], where: str, known: Iterable[str], descriptive: Iterable[str] = ()
) -> None:
    """Refuse keys that are neither fields nor known descriptive entries: a misspelt key
    would otherwise be replaced by its default and build a different model."""
    accepted = set(known) | set(descriptive)
    for key in data:
        if not isinstance(key, str) or key.startswith("_"):
            continue
        if key not in accepted:
            raise _unknown_key(where, key, accepted)


def _check_type(value: Any, annotation: str, where: str) -> None:
    """Plain scalar fields must hold a JSON value of their type (a quoted number, or a bool
    where an int belongs, would otherwise flow into the model)."""
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "float | None": lambda v: (
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
        ),
        "int | None": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    }.get(annotation)
    if ok is not None and not ok(value):
        raise ConfigError(f"{where}: expected {annotation}, got {json.dumps(value)}")
    if annotation.startswith("tuple[") and not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {json.dumps(value)}")


def _from_dict(cls: type[T], data: Mapping[str, Any], where: str) -> T:
    """Build dataclass ``cls`` from ``data``: known fields, comments (``_*``) skipped.

    Keys that are not fields are refused with their location, except the descriptive
    entries of the official configs listed in ``_DESCRIPTIVE`` (values checked there);
    missing required fields raise.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected an object, got {type(data).__name__}")
    hints = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    descriptive = _DESCRIPTIVE.get(cls.__name__, {})
    _check_keys(data, where, hints, descriptive)
    for key, allowed in descriptive.items():
        if key in data and allowed is not None and data[key] not in allowed:
            raise ConfigError(
                f"{where}.{key}: {json.dumps(data[key])} is not supported "
                f"(this engine implements {' or '.join(json.dumps(a) for a in allowed)})"
            )
    kwargs: dict[str, Any] = {}
    for name, f in hints.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where}: missing required key {name!r}")
            continue
        value = data[name]
        sub = _NESTED.get((cls.__name__, name))
        if sub is not None:
            value = _from_dict(sub, value, f"{where}.{name}")
        else:
            _check_type(value, str(f.type), f"{where}.{name}")
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class PositionEncodingConfig:
    """Sine position encoding of a feature grid (spec §3.3)."""

    num_pos_feats: int  # output channels P (P/2 per axis)
    temperature: float = 10000.0
    normalize: bool = True
    scale: float | None = None  # None means 2*pi

    @property
    def effective_scale(self) -> float:
        return 2 * math.pi if self.scale is None else float(self.scale)


@dataclass(frozen=True)
class TrunkConfig:
    """Hiera trunk (spec §3.1)."""

    embed_dim: int  # width D of stage 1
    num_heads: int  # heads of stage 1, multiplied by head_mul at each stage change
    stages: tuple[int, ...] = (2, 3, 16, 3)  # blocks per stage
    global_att_blocks: tuple[int, ...] = (12, 16, 20)  # 0-based block indices with global attention
    window_spec: tuple[int, ...] = (8, 4, 14, 7)  # window size per stage
    window_pos_embed_bkg_spatial_size: tuple[int, int] = (14, 14)  # pos_embed grid (bh, bw)
    q_pool: int = 3  # number of stage transitions with query pooling
    q_stride: tuple[int, int] = (2, 2)
    dim_mul: float = 2.0
    head_mul: float = 2.0
    drop_path_rate: float = 0.0  # training only
    return_interm_layers: bool = True


@dataclass(frozen=True)
class NeckConfig:
    """FPN neck (spec §3.2)."""

    d_model: int  # C, the model width shared by neck, SAM heads and memory attention
    backbone_channel_list: tuple[int, ...]  # trunk stage widths, lowest resolution first
    position_encoding: PositionEncodingConfig
    fpn_top_down_levels: tuple[int, ...] = (2, 3)
    fpn_interp_model: str = "nearest"
    fuse_type: str = "sum"
    kernel_size: int = 1
    stride: int = 1
    padding: int = 0


@dataclass(frozen=True)
class ImageEncoderConfig:
    trunk: TrunkConfig
    neck: NeckConfig
    scalp: int = 1  # number of lowest-resolution FPN levels dropped


@dataclass(frozen=True)
class AttentionConfig:
    """One attention module of memory attention (RoPE attention)."""

    embedding_dim: int
    num_heads: int = 1
    downsample_rate: int = 1
    kv_in_dim: int | None = None  # key/value input width (mem_dim for cross-attention)
    rope_theta: float = 10000.0
    feat_sizes: tuple[int, int] = (64, 64)  # informational: the grid is taken from the input
    rope_k_repeat: bool = False


@dataclass(frozen=True)
class MemoryAttentionLayerConfig:
    d_model: int
    self_attention: AttentionConfig
    cross_attention: AttentionConfig
    dim_feedforward: int = 2048
    activation: str = "relu"
    pos_enc_at_attn: bool = False
    pos_enc_at_cross_attn_keys: bool = True
    pos_enc_at_cross_attn_queries: bool = False


@dataclass(frozen=True)
class MemoryAttentionConfig:
    d_model: int
    num_layers: int
    layer: MemoryAttentionLayerConfig
    pos_enc_at_input: bool = True


@dataclass(frozen=True)
class MaskDownsamplerConfig:
    embed_dim: int = 256  # output channels (memory encoder in_dim)
    kernel_size: int = 3
    stride: int = 2
    padding: int = 1
    total_stride: int = 16


@dataclass(frozen=True)
class FuserLayerConfig:
    dim: int
    kernel_size: int = 7
    padding: int = 3
    layer_scale_init_value: float = 1e-6
    use_dwconv: bool = True


@dataclass(frozen=True)
class FuserConfig:
    layer: FuserLayerConfig
    num_layers: int = 2
    input_projection: bool = False


@dataclass(frozen=True)
class MemoryEncoderConfig:
    out_dim: int  # mem_dim M
    position_encoding: PositionEncodingConfig
    mask_downsampler: MaskDownsamplerConfig
    fuser: FuserConfig
    in_dim: int = 256


@dataclass(frozen=True)
class ModelOptions:
    """Flags of SAM2Base (defaults: the values every SAM 2.1 config ships)."""

    num_maskmem: int = 7
    sigmoid_scale_for_mem_enc: float = 20.0
    sigmoid_bias_for_mem_enc: float = -10.0
    binarize_mask_from_pts_for_mem_enc: bool = False
    use_mask_input_as_output_without_sam: bool = True
    max_cond_frames_in_attn: int = -1
    directly_add_no_mem_embed: bool = True
    use_high_res_features_in_sam: bool = True
    multimask_output_in_sam: bool = True
    multimask_min_pt_num: int = 0
    multimask_max_pt_num: int = 1
    multimask_output_for_tracking: bool = True
    use_multimask_token_for_obj_ptr: bool = True
    iou_prediction_use_sigmoid: bool = True
    memory_temporal_stride_for_eval: int = 1
    non_overlap_masks_for_mem_enc: bool = False
    use_obj_ptrs_in_encoder: bool = True
    max_obj_ptrs_in_encoder: int = 16
    add_tpos_enc_to_obj_ptrs: bool = True
    proj_tpos_enc_in_obj_ptrs: bool = True
    use_signed_tpos_enc_to_obj_ptrs: bool = True
    only_obj_ptrs_in_the_past_for_eval: bool = True
    pred_obj_scores: bool = True
    pred_obj_scores_mlp: bool = True
    fixed_no_obj_ptr: bool = True
    soft_no_obj_ptr: bool = False
    use_mlp_for_obj_ptr_proj: bool = True
    no_obj_embed_spatial: bool = True
    compile_image_encoder: bool = False


@dataclass(frozen=True)
class DecoderOptions:
    """Options the official builders add to the mask decoder."""

    dynamic_multimask_via_stability: bool = True
    dynamic_multimask_stability_delta: float = 0.05
    dynamic_multimask_stability_thresh: float = 0.98


@dataclass(frozen=True)
class VideoOptions:
    """Video-predictor options (official builder values unless stated)."""

    binarize_mask_from_pts_for_mem_enc: bool = True
    fill_hole_area: int = 8
    non_overlap_masks: bool = False
    # Official default False loses corrections on re-propagation; the engine's session
    # default is True (see VideoSession). This field records what the JSON says.
    add_all_frames_to_correct_as_cond: bool = False


@dataclass(frozen=True)
class ImagePredictorOptions:
    mask_threshold: float = 0.0
    max_hole_area: float = 0.0
    max_sprinkle_area: float = 0.0


@dataclass(frozen=True)
class PreprocessingConfig:
    pixel_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    pixel_std: tuple[float, float, float] = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build a SAM 2.1 model and its predictors."""

    name: str
    image_size: int  # S: the model input is S x S
    image_encoder: ImageEncoderConfig
    memory_attention: MemoryAttentionConfig
    memory_encoder: MemoryEncoderConfig
    backbone_stride: int = 16
    model: ModelOptions = field(default_factory=ModelOptions)
    decoder: DecoderOptions = field(default_factory=DecoderOptions)
    video: VideoOptions = field(default_factory=VideoOptions)
    image_predictor: ImagePredictorOptions = field(default_factory=ImagePredictorOptions)
    preprocessing: PreprocessingConfig = field(default_factory=PreprocessingConfig)
    # Architecture constants hard-coded in the official SAM heads (identical for all sizes).
    prompt_encoder_mask_in_chans: int = 16
    two_way_transformer_depth: int = 2
    two_way_transformer_mlp_dim: int = 2048
    two_way_transformer_num_heads: int = 8
    two_way_attention_downsample_rate: int = 2
    num_multimask_outputs: int = 3
    iou_head_depth: int = 3
    iou_head_hidden_dim: int = 256

    # ---- derived sizes -------------------------------------------------------------
    @property
    def hidden_dim(self) -> int:
        """C: neck / prompt / decoder / memory-attention width."""
        return self.image_encoder.neck.d_model

    @property
    def mem_dim(self) -> int:
        """M: memory feature width (memory encoder output)."""
        return self.memory_encoder.out_dim

    @property
    def embedding_size(self) -> int:
        """E = S / backbone_stride: side of the image-embedding grid."""
        return self.image_size // self.backbone_stride

    @property
    def low_res_mask_size(self) -> int:
        """4E: side of the decoder's low-resolution mask logits."""
        return 4 * self.embedding_size

    @property
    def feature_sizes(self) -> tuple[tuple[int, int], ...]:
        """(h, w) of the three FPN levels the model uses (strides 4, 8, 16)."""
        e = self.embedding_size
        return ((4 * e, 4 * e), (2 * e, 2 * e), (e, e))

    def validate(self) -> None:
        trunk = self.image_encoder.trunk
        if self.image_size % self.backbone_stride:
            raise ConfigError("image_size must be a multiple of backbone_stride")
        if len(trunk.window_spec) != len(trunk.stages):
            raise ConfigError("window_spec needs one entry per stage")
        if len(self.image_encoder.neck.backbone_channel_list) != len(trunk.stages):
            raise ConfigError("backbone_channel_list needs one entry per stage")
        if self.hidden_dim % self.mem_dim:
            raise ConfigError("d_model must be a multiple of mem_dim (object pointer split)")

    # ---- IO ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        if not isinstance(data, Mapping):
            raise ConfigError(f"config: expected an object, got {type(data).__name__}")
        top = {k: v for k, v in data.items() if not k.startswith("_")}
        _check_keys(top, "top level", _TOP_LEVEL_KEYS)
        image_size = top.get("image_size")
        if not isinstance(image_size, int) or isinstance(image_size, bool):
            raise ConfigError("config: 'image_size' (int) is required")
        fixed = _section(top, "sam_heads_fixed", "")
        _check_keys(fixed, "sam_heads_fixed", _SAM_HEADS_INT_KEYS, _SAM_HEADS_DESCRIPTIVE)
        for k in _SAM_HEADS_INT_KEYS:
            if k in fixed:
                _check_type(fixed[k], "int", f"sam_heads_fixed.{k}")
        heads = {k: fixed[k] for k in _SAM_HEADS_INT_KEYS if k in fixed}
        overrides = _section(top, "builder_overrides", "")
        _check_keys(overrides, "builder_overrides", ("image_model", "video_predictor"))
        image_over = _section(overrides, "image_model", "builder_overrides")
        _check_keys(image_over, "builder_overrides.image_model", ("sam_mask_decoder_extra_args",))
        video_over = dict(_section(overrides, "video_predictor", "builder_overrides"))
        # The official option is broken in sam2 1.1.0 (spec §8.9) and not implemented here.
        if video_over.pop("clear_non_cond_mem_around_input", False) is not False:
            raise ConfigError(
                "builder_overrides.video_predictor.clear_non_cond_mem_around_input: "
                "only false is supported"
            )
        decoder_args = dict(
            video_over.pop("sam_mask_decoder_extra_args", None)
            or image_over.get("sam_mask_decoder_extra_args", {})
            or {}
        )
        extra = _section(top, "fixture_video_predictor_extra", "")
        _check_keys(extra, "fixture_video_predictor_extra", ("add_all_frames_to_correct_as_cond",))
        for name in ("image_encoder", "memory_attention", "memory_encoder"):
            if name not in top:
                raise ConfigError(f"top level: missing required key {name!r}")
        cfg = cls(
            name=str(top.get("name", "sam2.1")),
            image_size=image_size,
            backbone_stride=int(top.get("backbone_stride", 16)),
            image_encoder=_from_dict(ImageEncoderConfig, top["image_encoder"], "image_encoder"),
            memory_attention=_from_dict(
                MemoryAttentionConfig, top["memory_attention"], "memory_attention"
            ),
            memory_encoder=_from_dict(MemoryEncoderConfig, top["memory_encoder"], "memory_encoder"),
            model=_from_dict(ModelOptions, top.get("model", {}), "model"),
            decoder=_from_dict(
                DecoderOptions, decoder_args, "builder_overrides.*.sam_mask_decoder_extra_args"
            ),
            video=_from_dict(VideoOptions, video_over, "builder_overrides.video_predictor"),
            image_predictor=_from_dict(
                ImagePredictorOptions, top.get("image_predictor", {}), "image_predictor"
            ),
            preprocessing=_from_dict(
                PreprocessingConfig, top.get("preprocessing", {}), "preprocessing"
            ),
            **heads,
        )
        cfg.validate()
        return cfg

    def fingerprint(self) -> str:
        """sha256 of every value that defines the model (the descriptive ``name`` excluded):
        equal fingerprints build the same computation."""
        values = dataclasses.asdict(self)
        values.pop("name")
        text = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_json(cls, path: str | Path) -> ModelConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None

    @classmethod
    def preset(cls, name: str) -> ModelConfig:
        """Load a shipped preset by name ("tiny", "small", "base_plus", "large", "micro")
        or by file stem ("sam2.1_hiera_t")."""
        file = PRESETS.get(name) or (name if name.endswith(".json") else f"{name}.json")
        path = CONFIG_DIR / file
        if not path.is_file():
            raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
        return cls.from_json(path)


_NESTED: dict[tuple[str, str], type] = {
    ("ImageEncoderConfig", "trunk"): TrunkConfig,
    ("ImageEncoderConfig", "neck"): NeckConfig,
    ("NeckConfig", "position_encoding"): PositionEncodingConfig,
    ("MemoryAttentionConfig", "layer"): MemoryAttentionLayerConfig,
    ("MemoryAttentionLayerConfig", "self_attention"): AttentionConfig,
    ("MemoryAttentionLayerConfig", "cross_attention"): AttentionConfig,
    ("MemoryEncoderConfig", "position_encoding"): PositionEncodingConfig,
    ("MemoryEncoderConfig", "mask_downsampler"): MaskDownsamplerConfig,
    ("MemoryEncoderConfig", "fuser"): FuserConfig,
    ("FuserConfig", "layer"): FuserLayerConfig,
}


#: Top-level keys of a config JSON: the fields read directly, the sections read below, and
#: descriptive entries (``derived_from``).
_TOP_LEVEL_KEYS = (
    "name",
    "derived_from",
    "image_size",
    "backbone_stride",
    "image_encoder",
    "memory_attention",
    "memory_encoder",
    "model",
    "image_predictor",
    "preprocessing",
    "sam_heads_fixed",
    "builder_overrides",
    "fixture_video_predictor_extra",
)
_SAM_HEADS_INT_KEYS = (
    "prompt_encoder_mask_in_chans",
    "two_way_transformer_depth",
    "two_way_transformer_mlp_dim",
    "two_way_transformer_num_heads",
    "two_way_attention_downsample_rate",
    "num_multimask_outputs",
    "iou_head_depth",
    "iou_head_hidden_dim",
)
# Descriptions of modules whose structure is fixed by the architecture (free text).
_SAM_HEADS_DESCRIPTIVE = (
    "prompt_embed_dim",
    "obj_ptr_proj",
    "obj_ptr_tpos_proj",
    "mask_downsample",
)

#: Keys of the official configs that are not dataclass fields, per section class: the values
#: this engine implements (None: any value; training-only or purely descriptive entries).
_DESCRIPTIVE: dict[str, dict[str, tuple[Any, ...] | None]] = {
    "ImageEncoderConfig": {"trunk_fixed": None},
    "MemoryAttentionConfig": {"batch_first": (True,)},
    "MemoryAttentionLayerConfig": {"dropout": None},
    "AttentionConfig": {"dropout": None},
    "MaskDownsamplerConfig": {"activation": ("gelu",)},
    "ImagePredictorOptions": {"bb_feat_sizes": None},  # derived from image_size here
}


def _section(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        place = f"{where}.{key}" if where else key
        raise ConfigError(f"{place}: expected an object, got {type(value).__name__}")
    return {k: v for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
