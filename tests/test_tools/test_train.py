"""tools/train.py and tools/test.py end to end on the tiny config (subprocesses, CPU)."""
from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dart_dense.utils.checkpoint import mmengine_checkpoint_globals

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_tool(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    """Runs a tools/ script with this interpreter; returns stdout+stderr, asserts exit 0."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def load_own(path: Path) -> dict:
    with mmengine_checkpoint_globals():
        return torch.load(path, map_location='cpu', weights_only=True)


def logged_train_iters(log: str) -> list[int]:
    """Iterations of the 'Iter(train) [i/N]' lines that mmengine's LoggerHook writes."""
    return [int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/\d+\]', log)]


def optimizer_steps(checkpoint: dict) -> set[int]:
    """AdamW's per-parameter step counts in a checkpoint's optimizer state."""
    return {int(state['step']) for state in checkpoint['optimizer']['state'].values()}


@pytest.fixture(scope='module')
def trained(tmp_path_factory: pytest.TempPathFactory, make_tiny_seg_config,
            subprocess_env: dict[str, str]) -> tuple[Path, Path, str]:
    """Trains the tiny config for 4 iterations (checkpoints at 2 and 4)."""
    config = make_tiny_seg_config()
    work_dir = tmp_path_factory.mktemp('train')
    log = run_tool(['tools/train.py', str(config), '--work-dir', str(work_dir)], subprocess_env)
    return config, work_dir, log


def test_train_writes_checkpoints(trained: tuple[Path, Path, str]) -> None:
    _, work_dir, log = trained
    assert logged_train_iters(log) == [1, 2, 3, 4]
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_2.pth', 'iter_4.pth']
    ckpt = load_own(work_dir / 'iter_4.pth')
    assert ckpt['meta']['iter'] == 4
    assert optimizer_steps(ckpt) == {4}
    assert 'mIoU' in log  # the validation at the last iteration ran


def test_resume_auto_continues_from_latest(trained: tuple[Path, Path, str],
                                           subprocess_env: dict[str, str]) -> None:
    config, work_dir, _ = trained
    before = load_own(work_dir / 'iter_4.pth')
    log = run_tool(['tools/train.py', str(config), '--work-dir', str(work_dir), '--resume',
                    '--cfg-options', 'train_cfg.max_iters=6'], subprocess_env)
    assert logged_train_iters(log) == [5, 6]  # starts after the saved iteration
    after = load_own(work_dir / 'iter_6.pth')
    assert after['meta']['iter'] == 6
    # AdamW's step counters went on from the saved state (a fresh optimizer would say 2).
    assert optimizer_steps(after) == {6}
    # The exp_avg of the first parameter evolved from the saved one rather than from zero.
    saved, resumed = before['optimizer']['state'][0], after['optimizer']['state'][0]
    assert not torch.equal(saved['exp_avg'], resumed['exp_avg'])


def test_resume_from_explicit_checkpoint(trained: tuple[Path, Path, str],
                                         tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    config, work_dir, _ = trained
    log = run_tool(['tools/train.py', str(config), '--work-dir', str(tmp_path), '--resume',
                    str(work_dir / 'iter_2.pth')], subprocess_env)
    assert logged_train_iters(log) == [3, 4]  # from iter_2, not from the work dir's latest
    assert optimizer_steps(load_own(tmp_path / 'iter_4.pth')) == {4}


def test_test_tool_reports_miou(trained: tuple[Path, Path, str], tmp_path: Path,
                                subprocess_env: dict[str, str]) -> None:
    config, work_dir, _ = trained
    out_file, show_dir = tmp_path / 'preds.pkl', tmp_path / 'vis'
    log = run_tool(['tools/test.py', str(config), str(work_dir / 'iter_4.pth'),
                    '--work-dir', str(tmp_path / 'test'), '--out', str(out_file),
                    '--show-dir', str(show_dir),
                    # mmseg's hook draws every 50th batch by default; here: all of them
                    '--cfg-options', 'default_hooks.visualization.interval=1'], subprocess_env)
    match = re.search(r'mIoU: (\d+\.\d+)', log)
    assert match, log[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0
    with open(out_file, 'rb') as f:
        predictions = pickle.load(f)  # our own dump
    assert len(predictions) == 4  # one per validation image
    assert predictions[0]['pred_sem_seg']['data'].shape[-2:] == (64, 64)
    assert len(list(show_dir.rglob('*.png'))) == 4
