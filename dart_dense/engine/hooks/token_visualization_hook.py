"""TokenVisualizationHook: mmseg's visualization hook, with the token partition drawn in."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.registry import HOOKS
from mmseg.engine.hooks import SegVisualizationHook
from torch import Tensor

from dart_dense.structures import TokenLayout
from dart_dense.visualization.seg import seg_drawing_visualizer, seg_token_figure

from .base_token_visualization_hook import BaseTokenVisualizationHook


@HOOKS.register_module()
class TokenVisualizationHook(BaseTokenVisualizationHook, SegVisualizationHook):
    """Saves, for every ``interval``-th val/test batch, one picture per image:
    [token regions | importance | ground truth | prediction].

    A drop-in for mmseg's ``SegVisualizationHook`` (same arguments and switch, same output:
    the runner's visualizer and its ``save_dir``), so ``tools/test.py --show-dir DIR`` turns
    it on and points it at DIR like the stock hook. The geometry is recorded from the
    tokenizer during the loop (see :class:`BaseTokenVisualizationHook`); with a backbone
    without a tokenizer, or in sliding-window inference (whose last forward saw one crop),
    only the segmentations are drawn.

    Args:
        draw: draw anything at all (off by default, as mmseg's hook).
        interval: draw every ``interval``-th batch.
        show: display in a window instead of saving.
        wait_time: seconds a shown picture stays.
        backend_args: file backend arguments for reading the original images.
        draw_gt: include the ground-truth panel when the sample has one.
        draw_scores: include the importance panel when the tokenizer has scores.
        scale: enlarge the token panels (small regions stay visible in small images).
    """

    def __init__(self, draw: bool = False, interval: int = 50, show: bool = False,
                 wait_time: float = 0., backend_args: Optional[dict] = None,
                 draw_gt: bool = True, draw_scores: bool = True, scale: float = 1.0):
        super().__init__(draw_gt=draw_gt, draw_scores=draw_scores, scale=scale, draw=draw,
                         interval=interval, show=show, wait_time=wait_time,
                         backend_args=backend_args)

    def drawing_visualizer(self, visualizer):
        return seg_drawing_visualizer(visualizer)

    def token_figure(self, image: np.ndarray, sample, layout: Optional[TokenLayout],
                     index: int, scores: Optional[Tensor]) -> np.ndarray:
        return seg_token_figure(self._drawer, image, sample, layout, index, scores,
                                self.draw_gt, self.scale)

    def _draw_batch(self, runner, batch_idx: int, outputs: Sequence, mode: str) -> None:
        # as mmseg: every image of every interval-th batch, named after mode and file
        if self.draw is False or not outputs \
                or not self.every_n_inner_iters(batch_idx, self.interval):
            return
        for index, output in enumerate(outputs):
            self.save(self.figure(outputs, index), f'{mode}_{osp.basename(output.img_path)}',
                      step=runner.iter)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        self._draw_batch(runner, batch_idx, outputs, 'val')

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        self._draw_batch(runner, batch_idx, outputs, 'test')
