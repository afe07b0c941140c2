"""A small trainable convolutional scorer (no pretrained weights needed)."""
from typing import Optional

from mmcv.cnn import ConvModule
from mmengine.registry import MODELS
from torch import Tensor, nn

from .base_scorer import BaseScorer


@MODELS.register_module()
class ConvScorer(BaseScorer):
    """Stacked stride-2 3×3 convolutions then a 1×1 projection to one logit per location.

    Args:
        in_channels: image channels.
        channels: width of each stage, e.g. ``(16, 32, 64)`` → output stride 2**3 = 8.
        norm_cfg: normalization after each conv (BN by default; no SyncBN on CPU).
        act_cfg: activation after each conv.
        input_scale: see :class:`BaseScorer`.
    """

    def __init__(self, in_channels: int = 3, channels: tuple[int, ...] = (16, 32, 64),
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU'), input_scale: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(input_scale=input_scale, init_cfg=init_cfg)
        if not channels:
            raise ValueError('channels must name at least one stage')
        layers, prev = [], in_channels
        for ch in channels:
            layers.append(ConvModule(prev, ch, 3, stride=2, padding=1, norm_cfg=norm_cfg,
                                     act_cfg=act_cfg))
            prev = ch
        self.layers = nn.Sequential(*layers)
        self.head = nn.Conv2d(prev, 1, 1)

    def score(self, images: Tensor) -> Tensor:
        return self.full_precision(self.head, self.layers(images))
