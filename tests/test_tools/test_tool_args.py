"""Command-line handling of tools/train.py, tools/test.py and tools/slurm_train.sh (no training)."""
from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_tool(name: str) -> ModuleType:
    path = REPO_ROOT / 'tools' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_tool = _load_tool('train')
test_tool = _load_tool('test')


def _train_cfg(make_tiny_seg_config, *argv: str) -> Config:
    return train_tool.build_config(train_tool.parse_args([str(make_tiny_seg_config()), *argv]))


def test_train_defaults(make_tiny_seg_config) -> None:
    config = make_tiny_seg_config()
    cfg = train_tool.build_config(train_tool.parse_args([str(config)]))
    assert cfg.work_dir == os.path.join('./work_dirs', config.stem)
    assert cfg.launcher == 'none' and cfg.resume is False and cfg.load_from is None
    assert cfg.optim_wrapper.type == 'OptimWrapper'


@pytest.mark.parametrize('argv, resume, load_from', [
    (['--resume'], True, None),
    (['--resume', 'w/iter_2.pth'], True, 'w/iter_2.pth'),
    ([], False, None),
])
def test_train_resume_forms(make_tiny_seg_config, argv: list[str], resume: bool,
                            load_from: str | None) -> None:
    cfg = _train_cfg(make_tiny_seg_config, *argv)
    assert (cfg.resume, cfg.load_from) == (resume, load_from)


def test_train_amp_and_cfg_options(make_tiny_seg_config) -> None:
    cfg = _train_cfg(make_tiny_seg_config, '--amp', '--work-dir', 'wd', '--launcher', 'pytorch',
                     '--cfg-options', 'train_cfg.max_iters=7')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert (cfg.work_dir, cfg.launcher, cfg.train_cfg.max_iters) == ('wd', 'pytorch', 7)


def test_train_has_no_local_rank_argument(make_tiny_seg_config) -> None:
    with pytest.raises(SystemExit):
        train_tool.parse_args([str(make_tiny_seg_config()), '--local_rank', '0'])


@pytest.mark.parametrize('scope, hook_type, switch, dir_key', [
    ('mmdet', 'DetVisualizationHook', 'draw', 'test_out_dir'),
    ('mmaction', 'VisualizationHook', 'enable', 'out_dir'),
])
def test_show_dir_per_toolbox(scope: str, hook_type: str, switch: str, dir_key: str) -> None:
    cfg = Config(dict(default_scope=scope, default_hooks=dict(timer=dict(type='IterTimerHook'))))
    test_tool.enable_visualization(cfg, '/tmp/vis')
    hook = cfg.default_hooks.visualization
    assert (hook.type, hook[switch], hook[dir_key]) == (hook_type, True, '/tmp/vis')


def test_show_dir_seg_and_out(make_tiny_seg_config, tmp_path: Path) -> None:
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    args = test_tool.parse_args([str(make_tiny_seg_config()), str(ckpt), '--show-dir', 'vis',
                                 '--out', str(tmp_path / 'p.pkl')])
    cfg = test_tool.build_config(args)
    assert cfg.load_from == str(ckpt)
    assert cfg.default_hooks.visualization.draw is True
    assert cfg.visualizer.save_dir == os.path.abspath('vis')
    assert [m['type'] for m in cfg.test_evaluator] == ['IoUMetric', 'DumpResults']


def test_show_dir_unknown_scope_is_named() -> None:
    with pytest.raises(ValueError, match="'mmpretrain'"):
        test_tool.enable_visualization(Config(dict(default_scope='mmpretrain')), 'vis')


def test_test_argument_errors(make_tiny_seg_config, tmp_path: Path,
                              capsys: pytest.CaptureFixture) -> None:
    config = str(make_tiny_seg_config())
    with pytest.raises(SystemExit):
        test_tool.parse_args([config, str(tmp_path / 'missing.pth')])
    assert 'missing.pth' in capsys.readouterr().err
    (tmp_path / 'c.pth').write_bytes(b'')
    with pytest.raises(SystemExit):
        test_tool.parse_args([config, str(tmp_path / 'c.pth'), '--out', 'preds.json'])
    assert 'preds.json' in capsys.readouterr().err


def test_slurm_train_command_line(tmp_path: Path) -> None:
    """slurm_train.sh hands srun the task layout and train.py the slurm launcher (fake srun)."""
    fake_srun = tmp_path / 'srun'
    fake_srun.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake_srun.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='8',
               GPUS_PER_NODE='4', SRUN_ARGS='--time=1:00:00 --exclusive', PYTHON='py')
    out = subprocess.run(['bash', 'tools/slurm_train.sh', 'part', 'job', 'cfg.py', 'wd',
                          '--amp'], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[:2] == ['-p', 'part']
    for arg in ('--job-name=job', '--gres=gpu:4', '--ntasks=8', '--ntasks-per-node=4',
                '--time=1:00:00', '--exclusive', 'py', '-u', 'cfg.py', '--work-dir=wd',
                '--launcher=slurm', '--amp'):
        assert arg in out
    assert out[out.index('-u') + 1] == str(REPO_ROOT / 'tools' / 'train.py')
    env['GRES'] = ''  # CPU partitions: no --gres
    out = subprocess.run(['bash', 'tools/slurm_train.sh', 'part', 'job', 'cfg.py', 'wd'],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert not any(arg.startswith('--gres') for arg in out)
