"""The per-level output convolutions shared by the pyramid adapters."""
from typing import Optional, Sequence

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn


class PyramidProjection(BaseModule):
    """Per level: 1×1 conv + norm, 3×3 conv + norm (ViTDet); then extra levels by max-pool.

    Args:
        in_channels: channels of each input level.
        out_channels: channels of every output level.
        num_outs: number of outputs (>= len(in_channels)); extra levels are stride-2 max
            pools of the last one (P6 for RPN).
        norm_cfg: norm after each conv.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int,
                 num_outs: Optional[int] = None, norm_cfg: dict = dict(type='LN2d'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_outs = num_outs or len(in_channels)
        if self.num_outs < len(in_channels):
            raise ValueError(f'num_outs={num_outs} is fewer than the {len(in_channels)} levels')
        self.lateral = nn.ModuleList(
            ConvModule(c, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None, bias=False)
            for c in in_channels)
        self.output = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                       act_cfg=None, bias=False)
            for _ in in_channels)

    def forward(self, levels: Sequence[Tensor]) -> tuple[Tensor, ...]:
        outs = [out(lat(x)) for x, lat, out in zip(levels, self.lateral, self.output)]
        while len(outs) < self.num_outs:
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)
