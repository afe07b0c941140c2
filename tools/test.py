"""Evaluate a checkpoint with an mmseg, mmdet or mmaction2 config (``default_scope`` decides).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR] [--out FILE.pkl]
                                           [--tta] [--cfg-options KEY=VALUE ...] [--launcher ...]

``--show-dir`` saves visualized predictions through the toolbox's own visualization hook;
``--out`` dumps the predictions as the toolbox's own test.py does (mmdet: ``DumpDetResults``,
masks RLE-encoded and ground truth dropped, the format mmdet's analysis tools read; otherwise
mmengine's ``DumpResults``); ``--tta`` evaluates with the config's ``tta_model`` over its
``tta_pipeline``, as mmseg's and mmdet's test.py do.
"""
from __future__ import annotations

import argparse
import os.path as osp

import dart_dense  # noqa: F401  (compatibility shims; must precede torchvision/mmaction imports)
from dart_dense.datasets.data_check import check_dataset_paths
from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.dist import LAUNCHERS, shutdown_distributed
from dart_dense.utils.launch import build_runner, load_run_config
from mmengine.config import Config, ConfigDict, DictAction

# default_scope -> the metric that dumps predictions for --out (as the toolbox's own test.py)
DUMP_METRICS: dict[str, str] = {'mmdet': 'DumpDetResults'}

# default_scope -> (visualization hook type, the hook's on-switch, where the output dir goes).
# mmseg's hook has no directory argument: its visualizer's save_dir decides.
VISUALIZATION_HOOKS: dict[str, tuple[str, str, str]] = {
    'mmseg': ('SegVisualizationHook', 'draw', 'visualizer.save_dir'),
    'mmdet': ('DetVisualizationHook', 'draw', 'test_out_dir'),
    'mmaction': ('VisualizationHook', 'enable', 'out_dir'),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line (``argv``, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description='Test a checkpoint with an OpenMMLab config')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='directory for the evaluation logs and metrics')
    parser.add_argument('--show-dir', help='directory to save visualized predictions in')
    parser.add_argument('--out', help='pickle file (.pkl/.pickle) to dump the predictions to')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_model over its tta_pipeline")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings (KEY=VALUE, dotted keys)')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    args = parser.parse_args(argv)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must name a .pkl or .pickle file, got {args.out!r}')
    if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
        parser.error(f'checkpoint file not found: {args.checkpoint!r}')
    return args


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Switches the scope's visualization hook on and points its output at ``show_dir``."""
    scope = cfg.get('default_scope')
    if scope not in VISUALIZATION_HOOKS:
        raise ValueError(f'--show-dir supports default_scope {sorted(VISUALIZATION_HOOKS)}, '
                         f'the config has default_scope={scope!r}')
    hook_type, switch, dir_key = VISUALIZATION_HOOKS[scope]
    hooks = cfg.setdefault('default_hooks', ConfigDict())
    hook = hooks.setdefault('visualization', ConfigDict(type=hook_type))
    hook[switch] = True
    if dir_key == 'visualizer.save_dir':
        cfg.visualizer.save_dir = show_dir
    else:
        hook[dir_key] = show_dir


def build_config(args: argparse.Namespace) -> Config:
    """Loads the config and applies the command-line overrides."""
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    if args.show_dir is not None:
        enable_visualization(cfg, osp.abspath(args.show_dir))
    if args.out is not None:
        dump = dict(type=DUMP_METRICS.get(cfg.get('default_scope'), 'DumpResults'),
                    out_file_path=args.out)
        evaluator = cfg.test_evaluator
        metrics = list(evaluator) if isinstance(evaluator, list) else [evaluator]
        cfg.test_evaluator = [*metrics, dump]
    if args.tta:
        enable_tta(cfg)
    return cfg


def enable_tta(cfg: Config) -> None:
    """Wraps the model in the config's ``tta_model`` and tests on its ``tta_pipeline``.

    mmseg's default runtime and dataset bases define both (``SegTTAModel``, flips and scales);
    a detection config adds e.g. ``tta_model = dict(type='DetTTAModel', tta_cfg=...)`` and a
    ``TestTimeAug`` pipeline (mmdet's ``DetTTAModel`` merges boxes, not masks).
    """
    missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
    if missing:
        raise ValueError(f'--tta needs {" and ".join(missing)} in the config (a test-time '
                         "augmentation model, e.g. dict(type='SegTTAModel') or "
                         "dict(type='DetTTAModel', tta_cfg=...), and a TestTimeAug pipeline)")
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)


def main(argv: list[str] | None = None) -> None:
    """Builds the runner from the config and evaluates the checkpoint on the test set."""
    args = parse_args(argv)
    cfg = build_config(args)
    # a missing dataset fails here, naming the path, not after the model is built
    check_dataset_paths(cfg, ('test_dataloader',))
    runner = build_runner(cfg)
    with mmengine_checkpoint_globals():  # our checkpoints hold mmengine's message-hub types
        runner.test()
    shutdown_distributed()  # all ranks finish together (gloo teardown)


if __name__ == '__main__':
    main()
