"""Detectors that tell the backbone each image's valid (unpadded) size.

mmdet's ``DetDataPreprocessor`` pads every batch to a common size (the largest image, rounded
up to ``pad_size_divisor``), and its detectors call ``backbone(batch_inputs)`` with the padded
tensor only. A DART backbone would then spend tokens on the padding. The mixin below reads
``data_sample.img_shape`` (the resized image before padding) and passes it to the backbone as
``valid_hw``, so the tokenizer gives the padded area the floor importance.
"""
import inspect
from contextlib import contextmanager
from typing import Iterator, Optional, Union

import torch
from mmdet.models.detectors import SingleStageDetector, TwoStageDetector
from mmdet.structures import SampleList
from mmengine.registry import MODELS
from torch import Tensor


def valid_sizes(batch_inputs: Tensor, batch_data_samples: Optional[SampleList]
                ) -> Optional[Tensor]:
    """(B, 2) ``(h, w)`` of every image inside its padded batch, or None without samples.

    Args:
        batch_inputs: (B, C, H, W) padded batch.
        batch_data_samples: one data sample per image, each with ``img_shape`` in its
            metainfo (set by mmdet's ``Resize`` / ``LoadImageFromFile``).

    Returns:
        (B, 2) float tensor on the inputs' device, each size clamped to (H, W) (batch
        augmentations may crop the batch after the samples were resized), or None.
    """
    if not batch_data_samples:
        return None
    if len(batch_data_samples) != batch_inputs.shape[0]:
        raise ValueError(f'got {len(batch_data_samples)} data samples for a batch of '
                         f'{batch_inputs.shape[0]} images')
    shapes = []
    for sample in batch_data_samples:
        shape = sample.metainfo.get('img_shape')
        if shape is None:  # e.g. samples built by hand without metainfo: use the whole image
            return None
        shapes.append([float(shape[0]), float(shape[1])])
    sizes = torch.tensor(shapes, device=batch_inputs.device)
    limit = sizes.new_tensor(batch_inputs.shape[-2:])
    return torch.minimum(sizes, limit)


class PaddingAwareMixin:
    """Mix into an mmdet detector (before it) so its backbone receives ``valid_hw``.

    Works for any detector whose ``loss`` / ``predict`` / ``_forward`` reach the backbone
    through ``extract_feat`` (all of mmdet's single- and two-stage detectors). The backbone's
    ``forward`` must accept a ``valid_hw`` keyword (``DARTViT`` does; a fixed-grid tokenizer
    accepts and ignores it).
    """

    _valid_hw: Optional[Tensor] = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        params = inspect.signature(self.backbone.forward).parameters
        if 'valid_hw' not in params:
            raise ValueError(f'{type(self).__name__} passes valid_hw to its backbone, but '
                             f'{type(self.backbone).__name__}.forward takes no valid_hw '
                             'argument; use the stock mmdet detector for this backbone')

    @contextmanager
    def _valid_sizes_from(self, batch_inputs: Tensor,
                          batch_data_samples: Optional[SampleList]) -> Iterator[None]:
        """Holds the batch's valid sizes while the wrapped call runs (restored after)."""
        previous = self._valid_hw
        self._valid_hw = valid_sizes(batch_inputs, batch_data_samples)
        try:
            yield
        finally:
            self._valid_hw = previous

    def extract_feat(self, batch_inputs: Tensor) -> tuple[Tensor, ...]:
        """(B, C, H, W) padded batch → multi-level features (backbone, then neck)."""
        x = self.backbone(batch_inputs, valid_hw=self._valid_hw)
        if self.with_neck:
            x = self.neck(x)
        return x

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList
             ) -> Union[dict, tuple]:
        with self._valid_sizes_from(batch_inputs, batch_data_samples):
            return super().loss(batch_inputs, batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        with self._valid_sizes_from(batch_inputs, batch_data_samples):
            return super().predict(batch_inputs, batch_data_samples, rescale=rescale)

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: Optional[SampleList] = None) -> tuple:
        with self._valid_sizes_from(batch_inputs, batch_data_samples):
            return super()._forward(batch_inputs, batch_data_samples)


@MODELS.register_module()
class DARTTwoStageDetector(PaddingAwareMixin, TwoStageDetector):
    """mmdet's ``TwoStageDetector`` (Faster/Mask/Cascade R-CNN: same arguments, e.g.
    ``backbone``, ``neck``, ``rpn_head``, ``roi_head``) with a padding-aware backbone call."""


@MODELS.register_module()
class DARTSingleStageDetector(PaddingAwareMixin, SingleStageDetector):
    """mmdet's ``SingleStageDetector`` (RetinaNet, FCOS, ATSS, ...: ``backbone``, ``neck``,
    ``bbox_head``) with a padding-aware backbone call."""
