"""DetTokenVisualizationHook: mmdet's visualization hook, with the token partition drawn in."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmdet.engine.hooks import DetVisualizationHook
from mmengine.registry import HOOKS
from mmengine.utils import mkdir_or_exist
from torch import Tensor

from dart_dense.structures import TokenLayout
from dart_dense.visualization.det import det_drawing_visualizer, det_token_figure

from .base_token_visualization_hook import BaseTokenVisualizationHook


@HOOKS.register_module()
class DetTokenVisualizationHook(BaseTokenVisualizationHook, DetVisualizationHook):
    """Pictures of [token regions | importance | ground truth | prediction] per image.

    A drop-in for mmdet's ``DetVisualizationHook`` (same arguments and switch: ``draw``,
    ``test_out_dir``), so ``tools/test.py --show-dir DIR`` turns it on and points it at DIR.
    Validation draws the first image of every ``interval``-th batch into the visualizer's
    backends; testing draws every image, into ``test_out_dir`` when given. The geometry is
    recorded from the tokenizer during the loop (see :class:`BaseTokenVisualizationHook`);
    with a backbone without a tokenizer only the instances are drawn.

    Args:
        draw, interval, score_thr, show, wait_time, test_out_dir, backend_args: as mmdet's
            ``DetVisualizationHook``.
        draw_gt: include the ground-truth panel when the sample has one.
        draw_scores: include the importance panel when the tokenizer has scores.
        scale: enlarge the token panels (small regions stay visible in small images).
    """

    def __init__(self, draw: bool = False, interval: int = 50, score_thr: float = 0.3,
                 show: bool = False, wait_time: float = 0., test_out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None, draw_gt: bool = True,
                 draw_scores: bool = True, scale: float = 1.0):
        super().__init__(draw_gt=draw_gt, draw_scores=draw_scores, scale=scale, draw=draw,
                         interval=interval, score_thr=score_thr, show=show,
                         wait_time=wait_time, test_out_dir=test_out_dir,
                         backend_args=backend_args)

    def drawing_visualizer(self, visualizer):
        return det_drawing_visualizer(visualizer)

    def token_figure(self, image: np.ndarray, sample, layout: Optional[TokenLayout],
                     index: int, scores: Optional[Tensor]) -> np.ndarray:
        return det_token_figure(self._drawer, image, sample, layout, index, scores,
                                self.draw_gt, self.score_thr, self.scale)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if self.draw is False:
            return
        step = runner.iter + batch_idx  # as mmdet: the first image of every interval-th batch
        if step % self.interval:
            return
        name = osp.basename(outputs[0].img_path) if self.show else 'val_img'  # as mmdet
        self.save(self.figure(outputs, 0), name, step)

    def before_test(self, runner) -> None:
        super().before_test(runner)
        # resolved once (mmdet's hook re-joins it on every iteration); an absolute
        # directory (tools/test.py --show-dir) stays as it is
        if self.draw and self.test_out_dir is not None:
            self.test_out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(self.test_out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if self.draw is False:
            return
        for index, sample in enumerate(outputs):
            self._test_index += 1
            name = osp.basename(sample.img_path)
            out_file = None if self.test_out_dir is None \
                else osp.join(self.test_out_dir, name)
            self.save(self.figure(outputs, index), name if self.show else 'test_img',
                      self._test_index, out_file)
