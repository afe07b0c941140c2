"""One picture per detected image: token regions, importance, ground truth and prediction."""
from __future__ import annotations

from typing import Optional

import numpy as np
from torch import Tensor

from dart_dense.structures import TokenLayout
from .tokens import concat_panels, token_panels

__all__ = ['det_token_figure']


def det_token_figure(visualizer, image: np.ndarray, data_sample,
                     layout: Optional[TokenLayout], index: int,
                     scores: Optional[Tensor] = None, draw_gt: bool = True,
                     score_thr: float = 0.3, scale: float = 1.0) -> np.ndarray:
    """[token regions | importance | ground truth | prediction] of one image, side by side.

    Args:
        visualizer: an mmdet ``DetLocalVisualizer`` (its ``dataset_meta`` gives the classes
            and palette, as for mmdet's own pictures).
        image: (H, W, 3) uint8 RGB original image (``ori_shape``).
        data_sample: mmdet ``DetDataSample`` with ``pred_instances`` at the original size
            (and ``gt_instances`` when ``draw_gt``) and the ``img_shape`` metainfo (the
            resized image inside the padded network input).
        layout: the batch's layout (network-input pixels), or None to draw only the
            instances.
        index: the image's position in the batch.
        scores: optional (B, h, w) importance; omitted for tokenizers without scores.
        draw_gt: add the ground-truth panel when the sample has ``gt_instances``.
        score_thr: predictions below this score are not drawn (mmdet's ``pred_score_thr``).
        scale: enlarge the token panels by this factor (the others follow their height).

    Returns:
        (H·scale, W', 3) uint8 RGB picture.
    """
    classes = visualizer.dataset_meta.get('classes')
    palette = visualizer.dataset_meta.get('palette')
    data_sample = data_sample.cpu()
    panels = []
    if layout is not None:
        panels += token_panels(image, layout, index, scores, data_sample.img_shape, scale)
    # DetLocalVisualizer.add_datasample can only save or show its picture; _draw_instances
    # returns it, so the instance panels are drawn exactly as mmdet draws them.
    if draw_gt and 'gt_instances' in data_sample:
        panels.append(visualizer._draw_instances(image, data_sample.gt_instances, classes,
                                                 palette))
    if 'pred_instances' in data_sample:
        pred = data_sample.pred_instances
        panels.append(visualizer._draw_instances(image, pred[pred.scores > score_thr],
                                                 classes, palette))
    return concat_panels(panels) if panels else image
