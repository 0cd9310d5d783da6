"""Single-image prediction (spec §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

from sam2engine.config import ImagePredictorOptions
from sam2engine.device import autocast_context
from sam2engine.modeling.sam2 import BackboneFeatures, SAM2Model
from sam2engine.modeling.sam_heads import DecoderOutput
from sam2engine.ops.holes import postprocess_image_logits
from sam2engine.ops.preprocess import check_rgb_uint8, preprocess_image_antialias


def _as_tensor(
    value: npt.ArrayLike | torch.Tensor, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(value), dtype=dtype, device=device)


@dataclass
class ImagePrediction:
    """Tensors of one predict call. B = number of prompts (boxes), K = 3 or 1 masks."""

    masks: torch.Tensor  # [B, K, H, W] bool (or float logits if return_logits)
    ious: torch.Tensor  # [B, K]
    low_res_logits: torch.Tensor  # [B, K, 4E, 4E] clamped to [-32, 32]
    decoder: DecoderOutput  # raw decoder outputs (all tokens, object score, stability)


class ImagePredictor:
    """``set_image`` once, then ``predict`` any number of prompts on it."""

    def __init__(
        self,
        model: SAM2Model,
        precision: str = "auto",
        options: ImagePredictorOptions | None = None,
    ) -> None:
        """``options`` (mask threshold, hole and sprinkle areas of the post-processing) default
        to the model config's ``image_predictor`` section."""
        self.model = model
        self.cfg = model.cfg
        self.precision = precision
        self.options = options if options is not None else model.cfg.image_predictor
        self._features: BackboneFeatures | None = None
        self._image_embed: torch.Tensor | None = None
        self._orig_hw: tuple[int, int] | None = None
        self.model_input: torch.Tensor | None = None  # last preprocessed input, for inspection

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.inference_mode()
    def set_image(self, image: np.ndarray) -> None:
        """Compute and keep the embedding of an HxWx3 uint8 RGB image."""
        image = check_rgb_uint8(image)
        self._orig_hw = (int(image.shape[0]), int(image.shape[1]))
        p = self.cfg.preprocessing
        x = preprocess_image_antialias(
            image, self.cfg.image_size, p.pixel_mean, p.pixel_std, self.device
        )
        self.model_input = x
        with autocast_context(self.device, self.precision):
            feats = self.model.forward_image(x)
        self._features = BackboneFeatures(
            [t.float() for t in feats.high_res], feats.vision.float(), feats.vision_pos.float()
        )
        # The image predictor always adds the no-memory embedding (spec §6).
        self._image_embed = (
            self.model.no_memory_features(self._features.vision)
            if self.cfg.model.directly_add_no_mem_embed
            else self._features.vision
        )

    def reset_image(self) -> None:
        self._features = self._image_embed = self._orig_hw = None

    def _to_model_coords(self, coords: torch.Tensor, normalize: bool) -> torch.Tensor:
        assert self._orig_hw is not None
        h, w = self._orig_hw
        coords = coords.clone()
        if normalize:
            coords[..., 0] = coords[..., 0] / w
            coords[..., 1] = coords[..., 1] / h
        return coords * self.cfg.image_size

    @torch.inference_mode()
    def predict_tensors(
        self,
        point_coords: npt.ArrayLike | torch.Tensor | None = None,
        point_labels: npt.ArrayLike | torch.Tensor | None = None,
        box: npt.ArrayLike | torch.Tensor | None = None,
        mask_input: npt.ArrayLike | torch.Tensor | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
        normalize_coords: bool = True,
        upscale: bool = True,
    ) -> ImagePrediction:
        """Prompts in original-image pixels (x, y); boxes (x0, y0, x1, y1), shape (4,) or (B, 4);
        ``mask_input`` (1|B, 4E, 4E) low-res logits of an earlier call. Tensors are used where
        they are (no round trip through the host). ``upscale=False`` leaves ``masks`` as the
        raw low-res logits, for callers that :meth:`upscale` only the masks they keep."""
        if self._features is None or self._image_embed is None or self._orig_hw is None:
            raise RuntimeError("call set_image() before predict()")
        dev = self.device
        points = None
        if point_coords is not None:
            if point_labels is None:
                raise ValueError("point_labels are required with point_coords")
            coords = _as_tensor(point_coords, torch.float32, dev)
            labels = _as_tensor(point_labels, torch.int32, dev)
            if coords.numel() == 0:
                raise ValueError("point_coords is empty")
            coords = self._to_model_coords(coords, normalize_coords)
            if coords.dim() == 2:
                coords, labels = coords[None], labels[None]
            if coords.shape[:2] != labels.shape[:2]:
                raise ValueError(f"{coords.shape[1]} points but {labels.shape[1]} labels")
            points = (coords, labels)
        elif point_labels is not None:
            raise ValueError("point_coords are required with point_labels")
        if box is not None:
            boxes = _as_tensor(box, torch.float32, dev).reshape(-1, 2, 2)
            boxes = self._to_model_coords(boxes, normalize_coords)
            box_labels = torch.tensor([[2, 3]], dtype=torch.int32, device=dev).repeat(
                boxes.shape[0], 1
            )
            if points is not None:
                if (
                    points[0].shape[0] != boxes.shape[0]
                    and points[0].shape[0] != 1
                    and boxes.shape[0] != 1
                ):
                    raise ValueError("points and boxes have different batch sizes")
                b = max(points[0].shape[0], boxes.shape[0])
                points = (
                    torch.cat([boxes.expand(b, -1, -1), points[0].expand(b, -1, -1)], dim=1),
                    torch.cat([box_labels.expand(b, -1), points[1].expand(b, -1)], dim=1),
                )
            else:
                points = (boxes, box_labels)
        mask = None
        if mask_input is not None:
            mask = _as_tensor(mask_input, torch.float32, dev)
            if mask.dim() == 3:
                mask = mask[None]
            size = self.model.sam_prompt_encoder.mask_input_size
            if mask.shape[-2:] != (size, size):
                raise ValueError(
                    f"mask_input must be {size}x{size} low-res logits, got {tuple(mask.shape[-2:])}"
                )
        if points is None and mask is None:
            raise ValueError("give at least one of point_coords, box or mask_input")

        batched = points is not None and points[0].shape[0] > 1
        with autocast_context(dev, self.precision):
            sparse, dense = self.model.sam_prompt_encoder(points, mask)
            dec = self.model.sam_mask_decoder(
                self._image_embed,
                self.model.sam_prompt_encoder.get_dense_pe(),
                sparse,
                dense,
                multimask_output,
                repeat_image=batched,
                high_res_features=self._features.high_res,
            )
        low = dec.masks.float()
        masks = low
        if upscale:
            masks = self.upscale(low)
            if not return_logits:
                masks = masks > self.options.mask_threshold
        return ImagePrediction(
            masks=masks,
            ious=dec.ious.float(),
            low_res_logits=torch.clamp(low, -32.0, 32.0),
            decoder=dec,
        )

    @torch.inference_mode()
    def upscale(self, low_res_logits: torch.Tensor) -> torch.Tensor:
        """[B, K, 4E, 4E] raw decoder logits -> [B, K, H, W] float logits at the image size:
        holes and sprinkles removed (``options``), then bilinear upsampling. Each map is
        processed on its own: a subset gives the values of the whole batch (up to the last
        float bit, which torch's CPU kernel lets depend on the tensor's channel count)."""
        if self._orig_hw is None:
            raise RuntimeError("call set_image() before upscale()")
        ip = self.options
        post = postprocess_image_logits(
            low_res_logits, ip.mask_threshold, ip.max_hole_area, ip.max_sprinkle_area
        )
        return F.interpolate(post, size=self._orig_hw, mode="bilinear", align_corners=False)

    def predict(
        self,
        point_coords: npt.ArrayLike | None = None,
        point_labels: npt.ArrayLike | None = None,
        box: npt.ArrayLike | None = None,
        mask_input: npt.ArrayLike | None = None,
        multimask_output: bool = True,
        return_logits: bool = False,
        normalize_coords: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns (masks [K, H, W] bool or float logits, ious [K], low-res logits [K, 4E, 4E]);
        with several boxes a leading batch dimension B is kept."""
        out = self.predict_tensors(
            point_coords,
            point_labels,
            box,
            mask_input,
            multimask_output,
            return_logits,
            normalize_coords,
        )

        def _np(t: torch.Tensor) -> np.ndarray:
            t = t.squeeze(0) if t.shape[0] == 1 else t
            return t.detach().cpu().numpy()

        return _np(out.masks), _np(out.ious), _np(out.low_res_logits)
