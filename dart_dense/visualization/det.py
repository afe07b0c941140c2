"""One picture per detected image: token regions, importance, ground truth and prediction."""
from __future__ import annotations

from typing import Optional

import numpy as np
from torch import Tensor

from dart_dense.structures import TokenLayout
from .tokens import concat_panels, token_panels

__all__ = ['det_drawing_visualizer', 'det_token_figure']


def det_drawing_visualizer(visualizer):
    """A backend-free copy of an mmdet ``DetLocalVisualizer`` for drawing panels.

    ``add_datasample`` is mmdet's public way to draw instances (it leaves the picture for
    ``get_image``), but it also stores the picture in the visualizer's backends; a copy
    without backends (same class, colours, line width, alpha and ``dataset_meta``, not
    registered as an mmengine instance) only draws.

    Args:
        visualizer: the ``DetLocalVisualizer`` whose look to copy (e.g. the runner's).
    """
    drawer = type(visualizer)(name=f'{visualizer.instance_name}_token_panels',
                              bbox_color=visualizer.bbox_color,
                              text_color=visualizer.text_color,
                              mask_color=visualizer.mask_color,
                              line_width=visualizer.line_width, alpha=visualizer.alpha)
    drawer.dataset_meta = dict(visualizer.dataset_meta or {})
    return drawer


def det_token_figure(visualizer, image: np.ndarray, data_sample,
                     layout: Optional[TokenLayout], index: int,
                     scores: Optional[Tensor] = None, draw_gt: bool = True,
                     score_thr: float = 0.3, scale: float = 1.0) -> np.ndarray:
    """[token regions | importance | ground truth | prediction] of one image, side by side.

    Args:
        visualizer: an mmdet ``DetLocalVisualizer`` with ``dataset_meta`` (classes, palette)
            and no storage backends (see :func:`det_drawing_visualizer`): the instance panels
            are drawn with its public ``add_datasample``, exactly as mmdet draws them.
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
    panels = []
    if layout is not None:
        panels += token_panels(image, layout, index, scores, data_sample.img_shape, scale)
    # one add_datasample per field keeps the panels apart; each leaves its picture for
    # get_image (mmdet: "convenient for users to obtain the drawn image")
    for field, is_gt in (('gt_instances', True), ('pred_instances', False)):
        if field in data_sample and (draw_gt or not is_gt):
            visualizer.add_datasample(field, image, data_sample, draw_gt=is_gt,
                                      draw_pred=not is_gt, pred_score_thr=score_thr)
            panels.append(visualizer.get_image())
    return concat_panels(panels) if panels else image
