"""TokenPyramid: a pyramid whose levels are rendered from the tokens at their own strides."""
from typing import Optional, Sequence

from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import Tensor

from .pyramid_projection import PyramidProjection


@MODELS.register_module()
class TokenPyramid(BaseModule):
    """Projection of backbone maps that were rendered from tokens directly at strides 4/8/...

    Pair it with ``DARTViT(out_strides=(4, 8, 16, 32))``: instead of upsampling a stride-16
    map (which blurs what small, dense token regions saw), each level is the exact area
    rendering of the token field at that stride, so small regions keep their detail.

    Args:
        in_channels: channels of each input level (one per backbone output).
        out_channels: channels of every output level.
        num_outs: total outputs; extra levels are max-pooled from the last (5 for RPN).
        norm_cfg: norm of the output convs.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int,
                 num_outs: Optional[int] = None, norm_cfg: dict = dict(type='LN2d'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_ins = len(in_channels)
        self.projection = PyramidProjection(in_channels, out_channels, num_outs, norm_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        if len(inputs) != self.num_ins:
            raise ValueError(f'TokenPyramid expects {self.num_ins} input levels '
                             f'(backbone out_strides), got {len(inputs)}')
        return self.projection(list(inputs))
