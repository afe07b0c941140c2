"""One picture per segmented image: token regions, importance, ground truth and prediction."""
from __future__ import annotations

from typing import Optional

import numpy as np
from torch import Tensor

from dart_dense.structures import TokenLayout
from .tokens import concat_panels, token_panels

__all__ = ['seg_token_figure']


def seg_token_figure(visualizer, image: np.ndarray, data_sample, layout: Optional[TokenLayout],
                     index: int, scores: Optional[Tensor] = None, draw_gt: bool = True,
                     scale: float = 1.0) -> np.ndarray:
    """[token regions | importance | ground truth | prediction] of one image, side by side.

    Args:
        visualizer: an mmseg ``SegLocalVisualizer`` with ``dataset_meta`` (classes, palette).
        image: (H, W, 3) uint8 RGB original image (``ori_shape``).
        data_sample: mmseg ``SegDataSample`` with ``pred_sem_seg`` at the original size (and
            ``gt_sem_seg`` when ``draw_gt``) and the ``img_shape`` metainfo.
        layout: the batch's layout, or None to draw only the segmentations.
        index: the image's position in the batch.
        scores: optional (B, h, w) importance; omitted for tokenizers without scores.
        draw_gt: add the ground-truth panel when the sample has one.
        scale: enlarge the token panels by this factor (the others follow their height).

    Returns:
        (H·scale, W', 3) uint8 RGB picture.
    """
    classes = visualizer.dataset_meta.get('classes')
    palette = visualizer.dataset_meta.get('palette')
    if classes is None or palette is None:
        raise ValueError('visualizer.dataset_meta must hold classes and palette')
    panels = []
    if layout is not None:
        panels += token_panels(image, layout, index, scores, data_sample.img_shape, scale)
    # SegLocalVisualizer.add_datasample can only save or show its picture; its _draw_sem_seg
    # returns it, so the segmentation panels are drawn exactly as mmseg draws them.
    seg_fields = (['gt_sem_seg'] if draw_gt else []) + ['pred_sem_seg']
    for field in seg_fields:
        if field in data_sample:
            panels.append(
                visualizer._draw_sem_seg(image, data_sample.get(field), classes, palette))
    # concat_panels brings the segmentation panels to the (scaled) height of the first
    return concat_panels(panels)
