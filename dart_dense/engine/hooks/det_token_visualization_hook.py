"""DetTokenVisualizationHook: mmdet's visualization hook, with the token partition drawn in."""
from __future__ import annotations

import os.path as osp
from typing import Optional, Sequence

import mmcv
import mmengine.fileio as fileio
from mmdet.engine.hooks import DetVisualizationHook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.utils import mkdir_or_exist

from dart_dense.visualization import layout_matches
from dart_dense.visualization.det import det_token_figure


@HOOKS.register_module()
class DetTokenVisualizationHook(DetVisualizationHook):
    """Pictures of [token regions | importance | ground truth | prediction] per image.

    A drop-in for mmdet's ``DetVisualizationHook`` (same arguments and switch: ``draw``,
    ``test_out_dir``), so ``tools/test.py --show-dir DIR`` turns it on and points it at DIR.
    Validation draws the first image of every ``interval``-th batch into the visualizer's
    backends; testing draws every image, into ``test_out_dir`` when given. The geometry is the
    backbone's ``side_outputs`` of the batch just predicted; with a backbone without them
    only the instances are drawn.

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
        super().__init__(draw=draw, interval=interval, score_thr=score_thr, show=show,
                         wait_time=wait_time, test_out_dir=test_out_dir,
                         backend_args=backend_args)
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.draw_gt = draw_gt
        self.draw_scores = draw_scores
        self.scale = scale

    def _figure(self, runner, outputs: Sequence, index: int):
        """The picture of ``outputs[index]`` (the batch's geometry, when it matches)."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        side = getattr(getattr(model, 'backbone', None), 'side_outputs', None) or {}
        layout = side.get('layout')
        if not layout_matches(layout, len(outputs), outputs[index].img_shape):
            layout = None
        scores = side.get('scores') if self.draw_scores and layout is not None else None
        sample = outputs[index]
        image = mmcv.imfrombytes(fileio.get(sample.img_path, backend_args=self.backend_args),
                                 channel_order='rgb')
        return det_token_figure(self._visualizer, image, sample, layout, index, scores,
                                self.draw_gt, self.score_thr, self.scale)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if self.draw is False:
            return
        step = runner.iter + batch_idx  # as mmdet: the first image of every interval-th batch
        if step % self.interval:
            return
        picture = self._figure(runner, outputs, 0)
        name = osp.basename(outputs[0].img_path)
        if self.show:
            self._visualizer.show(picture, win_name=name, wait_time=self.wait_time)
        else:
            self._visualizer.add_image('val_img', picture, step=step)

    def before_test(self, runner) -> None:
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
            picture = self._figure(runner, outputs, index)
            name = osp.basename(sample.img_path)
            if self.show:
                self._visualizer.show(picture, win_name=name, wait_time=self.wait_time)
            elif self.test_out_dir is not None:
                mmcv.imwrite(picture[..., ::-1], osp.join(self.test_out_dir, name))
            else:
                self._visualizer.add_image('test_img', picture, step=self._test_index)
