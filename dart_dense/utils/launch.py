"""What tools/train.py and tools/test.py share: loading the run's config, building the runner.

Works for mmseg, mmdet and mmaction2 configs alike: the config's ``default_scope`` decides which
toolbox's registries mmengine imports (our compatibility shims make mmaction's import work).
"""
from __future__ import annotations

import os.path as osp
from typing import Any

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .dist import setup_cpu_distributed

__all__ = ['load_run_config', 'build_runner']


def load_run_config(
    config: str,
    launcher: str = 'none',
    cfg_options: dict[str, Any] | None = None,
    work_dir: str | None = None,
) -> Config:
    """Loads ``config`` and applies the overrides every entry point accepts.

    Args:
        config: config file path.
        launcher: ``--launcher`` (stored as ``cfg.launcher``).
        cfg_options: ``--cfg-options`` (dotted keys), merged into the config.
        work_dir: ``--work-dir``; without it the config's own, else
            ``./work_dirs/<config name>``.

    Returns:
        Config: the merged config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def build_runner(cfg: Config) -> Runner:
    """Builds the runner of ``cfg`` (its ``runner_type`` if set), on CPU via gloo if distributed.

    Args:
        cfg: the final config; ``cfg.launcher`` decides whether the run is distributed.

    Returns:
        Runner: the mmengine runner.
    """
    setup_cpu_distributed(cfg, cfg.get('launcher', 'none'))
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
