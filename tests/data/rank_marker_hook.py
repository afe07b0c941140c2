"""A test-only hook: every rank writes ``rank{r}.done`` (iteration, world size and optionally a
checksum of some parameters) after training.

Used by tests/test_tools/test_dist_train.py to see that all ranks finished (mmengine logs from
rank 0 only). Imported through ``custom_imports`` with tests/data on PYTHONPATH.
"""
from __future__ import annotations

import json
from pathlib import Path

from typing import Optional

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankMarkerHook(Hook):
    """Writes ``{work_dir}/rank{rank}.done`` with the final iteration and the world size.

    Args:
        param_prefix: also write ``param_sum``, the sum of the parameters whose names start
            with it (equal on every rank when DDP kept the replicas in sync).
    """

    def __init__(self, param_prefix: Optional[str] = None):
        self.param_prefix = param_prefix

    def after_train(self, runner: object) -> None:
        """Called once per rank when the training loop has finished."""
        rank, world_size = get_dist_info()
        record = {'iter': runner.iter, 'world_size': world_size}
        if self.param_prefix is not None:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            record['param_sum'] = sum(float(p.double().sum()) for n, p in
                                      model.named_parameters() if n.startswith(self.param_prefix))
        marker = Path(runner.work_dir) / f'rank{rank}.done'
        marker.write_text(json.dumps(record))
