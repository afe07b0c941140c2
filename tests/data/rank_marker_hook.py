"""A test-only hook: every rank writes ``rank{r}.done`` (iteration, world size) after training.

Used by tests/test_tools/test_dist_train.py to see that all ranks finished (mmengine logs from
rank 0 only). Imported through ``custom_imports`` with tests/data on PYTHONPATH.
"""
from __future__ import annotations

import json
from pathlib import Path

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankMarkerHook(Hook):
    """Writes ``{work_dir}/rank{rank}.done`` with the final iteration and the world size."""

    def after_train(self, runner: object) -> None:
        """Called once per rank when the training loop has finished."""
        rank, world_size = get_dist_info()
        marker = Path(runner.work_dir) / f'rank{rank}.done'
        marker.write_text(json.dumps({'iter': runner.iter, 'world_size': world_size}))
