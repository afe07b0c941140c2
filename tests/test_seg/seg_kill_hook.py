"""A test-only hook that SIGKILLs its own training process after a given iteration.

Simulates a crash (no clean-up, no final checkpoint) for the resume test; imported through
``custom_imports`` with tests/test_seg on PYTHONPATH.
"""
from __future__ import annotations

import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """Kills the process once ``iteration`` training iterations have finished.

    Lowest priority: the checkpoint hook of that iteration has run before.
    """

    priority = 'LOWEST'

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        # mmengine counts runner.iter up after the after_train_iter hooks
        if runner.iter + 1 == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
