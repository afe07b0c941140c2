"""TokenVisualizationHook: mmseg's visualization hook, with the token partition drawn in."""
from __future__ import annotations

import logging
import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmengine.logging import print_log
from mmengine.registry import HOOKS
from mmseg.engine.hooks import SegVisualizationHook

from dart_dense.visualization import batch_geometry, seg_token_figure


@HOOKS.register_module()
class TokenVisualizationHook(SegVisualizationHook):
    """Saves, for every ``interval``-th val/test batch, one picture per image:
    [token regions | importance | ground truth | prediction].

    A drop-in for mmseg's ``SegVisualizationHook`` (same arguments and switch, same output:
    the runner's visualizer and its ``save_dir``), so ``tools/test.py --show-dir DIR`` turns
    it on and points it at DIR like the stock hook. The geometry is the backbone's
    ``side_outputs`` of the batch just predicted (DARTViT keeps the last forward's layout and
    scores); with a backbone without them, or in sliding-window inference (whose last forward
    saw one crop), only the segmentations are drawn.

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
        super().__init__(draw=draw, interval=interval, show=show, wait_time=wait_time,
                         backend_args=backend_args)
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.draw_gt = draw_gt
        self.draw_scores = draw_scores
        self.scale = scale
        self._warned = False

    def _after_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence,
                    mode: str = 'val') -> None:
        if self.draw is False or mode == 'train':
            return
        if not outputs or not self.every_n_inner_iters(batch_idx, self.interval):
            return
        layout, scores = batch_geometry(runner.model, len(outputs), outputs[0].img_shape,
                                        self.draw_scores)
        if layout is None and not self._warned:
            print_log('TokenVisualizationHook: the backbone holds no token layout of this '
                      'batch (no DART backbone, or sliding-window inference); drawing the '
                      'segmentations only', logger='current', level=logging.WARNING)
            self._warned = True
        for index, output in enumerate(outputs):
            img_bytes = fileio.get(output.img_path, backend_args=self.backend_args)
            image = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            picture = seg_token_figure(self._visualizer, image, output, layout, index, scores,
                                       self.draw_gt, self.scale)
            name = f'{mode}_{osp.basename(output.img_path)}'
            if self.show:
                self._visualizer.show(picture, win_name=name, wait_time=self.wait_time)
            else:
                self._visualizer.add_image(name, picture, step=runner.iter)
