"""One picture per segmented image: token regions, importance, ground truth and prediction."""
from __future__ import annotations

from typing import Optional

import numpy as np
from torch import Tensor

from dart_dense.structures import TokenLayout
from .tokens import concat_panels, token_panels

__all__ = ['seg_drawing_visualizer', 'seg_token_figure']


def seg_drawing_visualizer(visualizer):
    """A backend-free copy of an mmseg ``SegLocalVisualizer`` for drawing panels.

    ``add_datasample`` is mmseg's public way to draw a segmentation, but it also stores the
    picture in the visualizer's backends; a copy without backends (same class, ``alpha`` and
    ``dataset_meta``, not registered as an mmengine instance) only draws, and its
    ``get_image`` returns the picture.

    Args:
        visualizer: the ``SegLocalVisualizer`` whose look to copy (e.g. the runner's).
    """
    drawer = type(visualizer)(name=f'{visualizer.instance_name}_token_panels',
                              alpha=visualizer.alpha)
    drawer.dataset_meta = dict(visualizer.dataset_meta or {})
    return drawer


def seg_token_figure(visualizer, image: np.ndarray, data_sample, layout: Optional[TokenLayout],
                     index: int, scores: Optional[Tensor] = None, draw_gt: bool = True,
                     scale: float = 1.0) -> np.ndarray:
    """[token regions | importance | ground truth | prediction] of one image, side by side.

    Args:
        visualizer: an mmseg ``SegLocalVisualizer`` with ``dataset_meta`` (classes, palette)
            and no storage backends (see :func:`seg_drawing_visualizer`): the segmentation
            panels are drawn with its public ``add_datasample``.
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
    meta = visualizer.dataset_meta or {}
    if meta.get('classes') is None or meta.get('palette') is None:
        raise ValueError('visualizer.dataset_meta must hold classes and palette')
    panels = []
    if layout is not None:
        panels += token_panels(image, layout, index, scores, data_sample.img_shape, scale)
    # one add_datasample per field keeps the panels apart (mmseg would butt gt and prediction
    # together); each call leaves its picture as the visualizer's image
    for field, is_gt in (('gt_sem_seg', True), ('pred_sem_seg', False)):
        if field in data_sample and (draw_gt or not is_gt):
            visualizer.add_datasample(field, image, data_sample, draw_gt=is_gt,
                                      draw_pred=not is_gt)
            panels.append(visualizer.get_image())
    # concat_panels brings the segmentation panels to the (scaled) height of the first
    return concat_panels(panels)
