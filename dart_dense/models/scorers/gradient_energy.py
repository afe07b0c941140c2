"""A parameter-free scorer: local image-gradient energy."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.registry import MODELS
from torch import Tensor

from .base_scorer import BaseScorer


@MODELS.register_module()
class GradientEnergyScorer(BaseScorer):
    """log of the mean squared Sobel gradient of the grey image in ``stride``×``stride`` cells.

    Busy regions (edges, texture) score high, plain regions low; nothing to train or download,
    so it is a useful default and a control for learned scorers.

    Args:
        stride: cell size of the output grid in (scaled) pixels.
        eps: added before the log so flat cells stay finite.
        input_scale: see :class:`BaseScorer`.
    """

    def __init__(self, stride: int = 8, eps: float = 1e-6, input_scale: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(input_scale=input_scale, init_cfg=init_cfg)
        if stride < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        self.stride = stride
        self.eps = eps
        sobel = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]) / 8
        self.register_buffer('kernels', torch.stack([sobel, sobel.t()])[:, None],
                             persistent=False)

    def score(self, images: Tensor) -> Tensor:
        # squared gradients and their log in float32: no parameters, nothing to gain from
        # half precision, and float16 under/overflows them
        return self.full_precision(self._log_energy, images)

    def _log_energy(self, images: Tensor) -> Tensor:
        grey = images.mean(dim=1, keepdim=True)
        grad = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode='replicate'),
                        self.kernels.to(grey.dtype))
        energy = grad.square().sum(dim=1, keepdim=True)
        energy = F.avg_pool2d(energy, self.stride, ceil_mode=True)
        return torch.log(energy + self.eps)
