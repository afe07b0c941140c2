"""BaseTokenVisualizationHook: what the seg and det token visualization hooks share."""
from __future__ import annotations

import logging
from typing import Any, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log
from torch import Tensor

from dart_dense.structures import TokenLayout
from dart_dense.utils.token_recorder import TokenRecorder
from dart_dense.visualization import batch_geometry


class BaseTokenVisualizationHook(Hook):
    """Records the token geometry during val/test and draws it next to the predictions.

    Mixed in front of a toolbox's visualization hook (``class X(BaseTokenVisualizationHook,
    SegVisualizationHook)``), which keeps its own arguments, switch (``draw``) and picture
    storage (the runner's visualizer ``self._visualizer``); this base adds the token options,
    installs a :class:`TokenRecorder` on the model for each val/test loop while ``draw`` is on
    (the model itself keeps no state), and draws and saves the pictures. A subclass says how
    to draw a figure (:meth:`drawing_visualizer`, :meth:`token_figure`) and which batches to
    draw (``after_val_iter`` / ``after_test_iter``, as its toolbox's hook does).

    Args:
        draw_gt: include the ground-truth panel when the sample has one.
        draw_scores: include the importance panel when the tokenizer has scores.
        scale: enlarge the token panels (small regions stay visible in small images).
        **hook_kwargs: the toolbox hook's own arguments (``draw``, ``interval``, ``show``,
            ``wait_time``, ``backend_args``, ...).
    """

    def __init__(self, draw_gt: bool = True, draw_scores: bool = True, scale: float = 1.0,
                 **hook_kwargs: Any):
        super().__init__(**hook_kwargs)
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}')
        self.draw_gt = draw_gt
        self.draw_scores = draw_scores
        self.scale = scale
        self._recorder: Optional[TokenRecorder] = None
        self._drawer = None
        self._warned = False

    # ------------------------------------------------------------------ per task
    def drawing_visualizer(self, visualizer):
        """A backend-free visualizer with ``visualizer``'s look, to draw the panels with."""
        raise NotImplementedError

    def token_figure(self, image: np.ndarray, sample, layout: Optional[TokenLayout],
                     index: int, scores: Optional[Tensor]) -> np.ndarray:
        """The (H, W', 3) uint8 RGB picture of ``sample`` (``index`` in its batch)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ recording
    def _start_recording(self, runner) -> None:
        if self.draw:
            self._recorder = TokenRecorder(runner.model, strict=False).install()
            self._drawer = self.drawing_visualizer(self._visualizer)

    def _stop_recording(self) -> None:
        if self._recorder is not None:
            self._recorder.remove()
            self._recorder = None

    def before_val(self, runner) -> None:
        super().before_val(runner)
        self._start_recording(runner)

    def after_val(self, runner) -> None:
        self._stop_recording()
        super().after_val(runner)

    def before_test(self, runner) -> None:
        super().before_test(runner)
        self._start_recording(runner)

    def after_test(self, runner) -> None:
        self._stop_recording()
        super().after_test(runner)

    # ------------------------------------------------------------------ drawing
    def figure(self, outputs, index: int) -> np.ndarray:
        """The picture of ``outputs[index]``, with the batch's geometry when it matches."""
        sample = outputs[index]
        record = None if self._recorder is None else self._recorder.last
        layout, scores = batch_geometry(record, len(outputs), sample.img_shape,
                                        self.draw_scores)
        if layout is None and not self._warned:
            print_log(f'{type(self).__name__}: no token layout of this batch was recorded '
                      '(no DART backend, sliding-window or test-time-augmented inference, or '
                      'a backbone compiled before the recorder was installed); drawing the '
                      'predictions only', logger='current', level=logging.WARNING)
            self._warned = True
        image = mmcv.imfrombytes(fileio.get(sample.img_path, backend_args=self.backend_args),
                                 channel_order='rgb')
        return self.token_figure(image, sample, layout, index, scores)

    def save(self, picture: np.ndarray, name: str, step: int,
             out_file: Optional[str] = None) -> None:
        """Shows the picture (``show``), writes it to ``out_file``, or adds it to the runner's
        visualizer (its backends store it)."""
        if self.show:
            self._visualizer.show(picture, win_name=name, wait_time=self.wait_time)
        elif out_file is not None:
            mmcv.imwrite(mmcv.rgb2bgr(picture), out_file)
        else:
            self._visualizer.add_image(name, picture, step=step)
