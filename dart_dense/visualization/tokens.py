"""Pictures of the token partition: region outlines and the importance map over an image.

One implementation for every task: the segmentation and detection hooks and
``tools/visualize_tokens.py`` all draw through these functions. Geometry comes from a
:class:`~dart_dense.utils.token_recorder.TokenRecorder` installed on the model (a detached
:class:`~dart_dense.structures.TokenLayout` in the pixels of the network input, i.e. after
resizing and padding); the functions map it onto the picture the user sees (usually the
original image).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.visualization import Visualizer
from torch import Tensor

from dart_dense.structures import TokenLayout
from dart_dense.utils.token_recorder import TokenRecord

__all__ = ['layout_matches', 'batch_geometry', 'token_boxes_for_image', 'importance_for_image',
           'draw_token_regions', 'draw_importance', 'token_panels', 'concat_panels']

HW = tuple[int, int]


def _check_index(layout: TokenLayout, index: int) -> None:
    if not 0 <= index < layout.batch_size:
        raise ValueError(f'index must be in [0, {layout.batch_size}) for a layout of batch '
                         f'{layout.batch_size}, got {index}')


def layout_matches(layout: Optional[TokenLayout], batch_size: int,
                   img_shape: tuple[int, int]) -> bool:
    """Whether a layout describes this batch (not, e.g., the last crop of a sliding window).

    Args:
        layout: the recorded layout of the last forward (``TokenRecord.layout``), or None.
        batch_size: images in the batch.
        img_shape: (h, w) of an image inside the network input (``img_shape`` metainfo).
    """
    return (layout is not None and layout.batch_size == batch_size
            and layout.image_hw[0] >= img_shape[0] and layout.image_hw[1] >= img_shape[1])


def batch_geometry(record: Optional[TokenRecord], batch_size: int, img_shape: HW,
                   with_scores: bool = True) -> tuple[Optional[TokenLayout], Optional[Tensor]]:
    """The token layout and importance of the batch a model has just predicted.

    Args:
        record: the last forward's record of a :class:`TokenRecorder` installed on the
            model (``recorder.last``), or None.
        batch_size: images in the batch.
        img_shape: (h, w) of an image inside the network input (``img_shape`` metainfo).
        with_scores: return the importance too (when the tokenizer has one).

    Returns:
        (layout, scores); (None, None) without a record or when the record is not this
        batch's (:func:`layout_matches`); scores None without ``with_scores``.
    """
    layout = None if record is None else record.layout
    if not layout_matches(layout, batch_size, img_shape):
        return None, None
    return layout, record.scores if with_scores else None


def token_boxes_for_image(layout: TokenLayout, index: int, valid_hw: Optional[HW] = None,
                          out_hw: Optional[HW] = None) -> tuple[np.ndarray, np.ndarray]:
    """The rectangles of one image's token regions, in the pixels of the picture to draw on.

    A token that crosses the end of a row band covers two (rarely more) rectangles; each is
    returned, with the token's index, so both can be drawn in the token's colour.

    Args:
        layout: the batch's layout, in network-input pixels ``layout.image_hw`` = (H, W).
        index: which image of the batch.
        valid_hw: (h, w) of the image inside the padded input (``img_shape``; padding is at
            the bottom/right). Rectangles are clipped to it; default (H, W).
        out_hw: (h', w') of the picture; rectangles are scaled by h'/h, w'/w. Default
            ``valid_hw``.

    Returns:
        boxes: (M, 4) float ``x1, y1, x2, y2`` in picture pixels.
        token_ids: (M,) index of the token each rectangle belongs to.
    """
    _check_index(layout, index)
    valid_hw = tuple(valid_hw) if valid_hw is not None else layout.image_hw
    out_hw = tuple(out_hw) if out_hw is not None else valid_hw
    boxes, valid = layout.token_boxes()  # (B, N, K, 4), (B, N, K)
    boxes, valid = boxes[index].float().cpu(), valid[index].cpu()
    token_ids = torch.arange(boxes.shape[0])[:, None].expand_as(valid)
    boxes, token_ids = boxes[valid], token_ids[valid]
    limit = torch.tensor([valid_hw[1], valid_hw[0], valid_hw[1], valid_hw[0]], dtype=boxes.dtype)
    boxes = torch.minimum(boxes, limit)
    # empty after clipping: the rectangle lies in the padding
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    scale = torch.tensor([out_hw[1] / valid_hw[1], out_hw[0] / valid_hw[0]] * 2,
                         dtype=boxes.dtype)
    return (boxes[keep] * scale).numpy(), token_ids[keep].numpy()


def importance_for_image(scores: Tensor, index: int, input_hw: HW,
                         valid_hw: Optional[HW] = None) -> Tensor:
    """One image's importance map, cropped to the unpadded part of the input.

    Args:
        scores: (B, h, w) importance on the partition grid covering the (padded) input.
        index: which image of the batch.
        input_hw: (H, W) of the network input.
        valid_hw: (h, w) of the image inside it; default ``input_hw``.

    Returns:
        (1, h', w') float tensor, the cells covering the valid part.
    """
    if scores.dim() != 3:
        raise ValueError(f'scores must be (B, h, w), got shape {tuple(scores.shape)}')
    if not 0 <= index < scores.shape[0]:
        raise ValueError(f'index must be in [0, {scores.shape[0]}), got {index}')
    valid_hw = tuple(valid_hw) if valid_hw is not None else tuple(input_hw)
    rows = max(1, math.ceil(valid_hw[0] * scores.shape[1] / input_hw[0]))
    cols = max(1, math.ceil(valid_hw[1] * scores.shape[2] / input_hw[1]))
    return scores[index, :rows, :cols][None].detach().float().cpu()


def _token_colours(num_tokens: int, seed: int = 0) -> np.ndarray:
    """(N, 3) uint8 bright colours; neighbouring tokens get unrelated ones."""
    rng = np.random.default_rng(seed)
    hsv = np.stack([rng.integers(0, 180, num_tokens), np.full(num_tokens, 200),
                    np.full(num_tokens, 255)], axis=1).astype(np.uint8)
    return cv2.cvtColor(hsv[None], cv2.COLOR_HSV2RGB)[0]


def draw_token_regions(image: np.ndarray, boxes: np.ndarray, token_ids: np.ndarray,
                       fill_alpha: float = 0.35, line_colour: Sequence[int] = (255, 255, 255),
                       thickness: int = 1) -> np.ndarray:
    """Tints every token region in its own colour and outlines its rectangles.

    Drawn with cv2 rather than mmengine's ``Visualizer.draw_bboxes``: hundreds of 1-px
    rectangles must stay pixel-exact (matplotlib anti-aliases them into a grey haze) and the
    hook draws every test image.

    Args:
        image: (H, W, 3) uint8 RGB picture.
        boxes: (M, 4) ``x1, y1, x2, y2`` in picture pixels (from :func:`token_boxes_for_image`).
        token_ids: (M,) token of each rectangle (the rectangles of one token share a colour).
        fill_alpha: opacity of the tint.
        line_colour: RGB of the outlines.
        thickness: outline width in pixels.

    Returns:
        (H, W, 3) uint8 RGB picture (a new array).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be (H, W, 3) uint8, got {image.shape} {image.dtype}')
    if boxes.shape[0] != token_ids.shape[0]:
        raise ValueError(f'boxes and token_ids disagree: {boxes.shape[0]} vs '
                         f'{token_ids.shape[0]} rectangles')
    colours = _token_colours(int(token_ids.max()) + 1 if token_ids.size else 0)
    corners = np.round(boxes).astype(np.int64)
    # pixel rectangles [x1, x2) x [y1, y2): cv2 wants inclusive corners
    corners[:, 2:] = np.maximum(corners[:, 2:] - 1, corners[:, :2])
    tint = image.copy()
    for (x1, y1, x2, y2), token in zip(corners.tolist(), token_ids.tolist()):
        cv2.rectangle(tint, (x1, y1), (x2, y2), colours[token].tolist(), -1)
    out = cv2.addWeighted(image, 1 - fill_alpha, tint, fill_alpha, 0)
    colour = tuple(int(c) for c in line_colour)
    for x1, y1, x2, y2 in corners.tolist():
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
    return out


def draw_importance(image: np.ndarray, importance: Tensor, alpha: float = 0.5) -> np.ndarray:
    """Overlays an importance map (min-max normalized, JET colours) on the picture.

    Args:
        image: (H, W, 3) uint8 RGB picture.
        importance: (1, h, w) map covering the picture; resized bilinearly.
        alpha: opacity of the map.

    Returns:
        (H, W, 3) uint8 RGB picture.
    """
    # resized here: draw_featmap would too, but warns about it on every picture
    importance = F.interpolate(importance[None].float(), image.shape[:2], mode='bilinear',
                               align_corners=False)[0]
    return Visualizer.draw_featmap(importance, image, channel_reduction=None, topk=0,
                                   alpha=alpha)


def token_panels(image: np.ndarray, layout: TokenLayout, index: int,
                 scores: Optional[Tensor] = None, valid_hw: Optional[HW] = None,
                 scale: float = 1.0) -> list[np.ndarray]:
    """The token picture (and the importance picture when ``scores`` is given) of one image.

    Args:
        image: (H', W', 3) uint8 RGB picture of the image (e.g. the original file).
        layout: the batch's layout (network-input pixels).
        index: which image of the batch.
        scores: optional (B, h, w) importance (``TokenRecord.scores``).
        valid_hw: (h, w) of the image inside the network input (``img_shape``).
        scale: enlarge the picture by this factor first (outlines of small regions stay
            visible).

    Returns:
        One or two (H'·scale, W'·scale, 3) uint8 RGB pictures.
    """
    if scale != 1.0:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    boxes, token_ids = token_boxes_for_image(layout, index, valid_hw, image.shape[:2])
    panels = [draw_token_regions(image, boxes, token_ids)]
    if scores is not None:
        importance = importance_for_image(scores, index, layout.image_hw, valid_hw)
        panels.append(draw_importance(image, importance))
    return panels


def concat_panels(panels: Sequence[np.ndarray], gap: int = 4, value: int = 255) -> np.ndarray:
    """Lays pictures side by side (resized to the first one's height), ``gap`` px apart."""
    if not panels:
        raise ValueError('panels must hold at least one picture')
    height = panels[0].shape[0]
    row = []
    for i, panel in enumerate(panels):
        if panel.shape[0] != height:
            width = max(1, round(panel.shape[1] * height / panel.shape[0]))
            panel = cv2.resize(panel, (width, height), interpolation=cv2.INTER_NEAREST)
        if i:
            row.append(np.full((height, gap, 3), value, np.uint8))
        row.append(panel)
    return np.concatenate(row, axis=1)
