"""LayerNorm over the channels of an NCHW map (registered as ``LN2d`` for ``norm_cfg``)."""
import torch.nn.functional as F
from mmengine.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module(name='LN2d')
class LayerNorm2d(nn.LayerNorm):
    """``nn.LayerNorm`` applied per pixel over C; (B, C, H, W) in and out.

    Registered in mmengine's root registry so any mmseg/mmdet module accepts
    ``norm_cfg=dict(type='LN2d')`` (ViTDet-style necks need it; mmcv has none).
    """

    _abbr_ = 'ln'

    def __init__(self, num_channels: int, eps: float = 1e-6, **kwargs):
        super().__init__(num_channels, eps=eps, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
