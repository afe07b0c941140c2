"""SimplePyramid: strides 4/8/16/32 from one stride-16 map (ViTDet's simple feature pyramid)."""
from typing import Optional, Sequence

from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import Tensor, nn

from .layer_norm_2d import LayerNorm2d
from .pyramid_projection import PyramidProjection


def _rescale(channels: int, factor: float) -> tuple[nn.Module, int]:
    """A rescaling stage for one factor (4, 2, 1 or 0.5) and its output channels."""
    if factor == 4:
        return nn.Sequential(
            nn.ConvTranspose2d(channels, channels // 2, 2, stride=2),
            LayerNorm2d(channels // 2), nn.GELU(),
            nn.ConvTranspose2d(channels // 2, channels // 4, 2, stride=2)), channels // 4
    if factor == 2:
        return nn.ConvTranspose2d(channels, channels // 2, 2, stride=2), channels // 2
    if factor == 1:
        return nn.Identity(), channels
    if factor == 0.5:
        return nn.MaxPool2d(2, stride=2, ceil_mode=True), channels
    raise ValueError(f'scale_factors entries must be 4, 2, 1 or 0.5, got {factor}')


@MODELS.register_module()
class SimplePyramid(BaseModule):
    """Multi-scale features from a single map by deconvolution, identity and max-pool.

    Args:
        in_channels: channels of the backbone map.
        out_channels: channels of every output level.
        scale_factors: resampling of each level relative to the input (stride 16 →
            strides 4, 8, 16, 32 by default).
        num_outs: total outputs; extra levels are max-pooled from the last (5 for RPN).
        in_index: which backbone output to use.
        norm_cfg: norm of the output convs (``LN2d`` as in ViTDet).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 scale_factors: Sequence[float] = (4, 2, 1, 0.5),
                 num_outs: Optional[int] = None, in_index: int = -1,
                 norm_cfg: dict = dict(type='LN2d'), init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        stages = [_rescale(in_channels, f) for f in scale_factors]
        self.stages = nn.ModuleList(stage for stage, _ in stages)
        self.in_index = in_index
        self.projection = PyramidProjection([c for _, c in stages], out_channels, num_outs,
                                            norm_cfg)

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        """inputs: backbone tuple of (B, C, H, W) maps → tuple of (B, out, H·f, W·f)."""
        x = inputs[self.in_index]
        return self.projection([stage(x) for stage in self.stages])
