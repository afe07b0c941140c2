"""Train a model from an mmseg, mmdet or mmaction2 config (the config's ``default_scope`` decides).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                                 [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Distributed runs get their rank from the environment (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``
as set by ``torchrun``; see ``tools/dist_train.sh``), there is no ``--local_rank`` argument.
On machines without CUDA, distributed runs use gloo (``dart_dense.utils.dist``).
"""
from __future__ import annotations

import argparse

import dart_dense  # noqa: F401  (compatibility shims; must precede torchvision/mmaction imports)
from dart_dense.datasets.data_check import check_dataset_paths
from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.dist import LAUNCHERS, shutdown_distributed
from dart_dense.utils.launch import build_runner, load_run_config
from mmengine.config import Config, DictAction
from mmengine.logging import print_log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line (``argv``, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description='Train a model with an OpenMMLab config')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or, without a value, from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=100 (KEY=VALUE, dotted keys)')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    """Loads the config and applies the command-line overrides."""
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper_type == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', logger='current')
        elif wrapper_type != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {wrapper_type!r}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    # 'auto': the latest checkpoint of the work dir; a path: exactly that checkpoint.
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv: list[str] | None = None) -> None:
    """Builds the runner from the config and trains."""
    args = parse_args(argv)
    cfg = build_config(args)
    # a missing dataset fails here, naming the path, not after the model is built
    check_dataset_paths(cfg, ('train_dataloader', 'val_dataloader'))
    runner = build_runner(cfg)
    # Our own checkpoints hold mmengine's message-hub types; allow exactly those (still
    # weights_only) so that --resume works under torch>=2.6.
    with mmengine_checkpoint_globals():
        runner.train()
    shutdown_distributed()  # all ranks finish together (gloo teardown)


if __name__ == '__main__':
    main()
