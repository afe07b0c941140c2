"""Common behaviour of importance scorers: run on a (possibly downsampled) copy of the image."""
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor


def logit_dtype(dtype: torch.dtype) -> torch.dtype:
    """float32, or float64 for float64 inputs: logits never in half precision. (A Python
    decision: ``torch.promote_types`` would dispatch an operator every forward.)"""
    return torch.float64 if dtype == torch.float64 else torch.float32


class BaseScorer(BaseModule):
    """An importance network: images (B, 3, H, W) → logits (B, 1, h, w) on a coarse grid.

    The tokenizer turns the logits into positive importance (standardize, sigmoid, floor) and
    resizes them to its partition grid, so a scorer may work at any resolution.

    Args:
        input_scale: the scorer sees the image resized by this factor (bilinear). Scoring is a
            coarse decision; a downsampled copy costs a fraction of the full-size pass (the
            official MobileNetV3 trunk on the full 2× image costs as much as DeiT-S itself).
        init_cfg: mmengine initialization config.
    """

    def __init__(self, input_scale: float = 1.0, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not 0 < input_scale <= 4:
            raise ValueError(f'input_scale must be in (0, 4], got {input_scale}')
        self.input_scale = float(input_scale)

    def forward(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) → (B, 1, h, w) raw importance logits."""
        if self.input_scale != 1.0:
            h, w = (int(s) for s in images.shape[-2:])  # plain ints: jit tracing gives tensors
            size = (max(round(h * self.input_scale), 1), max(round(w * self.input_scale), 1))
            images = F.interpolate(images, size=size, mode='bilinear', align_corners=False,
                                   antialias=self.input_scale < 1)
        return self.score(images)

    def score(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def full_precision(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
        """``fn(x)`` in at least float32, also under autocast.

        Logits decide the geometry and pass through a standardization: in float16 a trained
        head's activations and its gradients overflow (seen with GradScaler in the first
        steps of a UperNet run), so the small logit head never runs in half precision.
        """
        with torch.autocast(x.device.type, enabled=False):
            return fn(x.to(logit_dtype(x.dtype)))
