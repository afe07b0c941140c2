"""tools/dist_train.sh and dist_test.sh: two torchrun processes on a CPU-only machine (gloo)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
import torch

from dart_dense.utils.checkpoint import mmengine_checkpoint_globals

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (gloo) path')
def test_dist_train_and_test_two_ranks(tmp_path: Path, make_tiny_seg_config,
                                       subprocess_env: dict[str, str]) -> None:
    config = make_tiny_seg_config(
        "custom_imports = dict(imports=['rank_marker_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='RankMarkerHook')]\n")
    work_dir = tmp_path / 'work'
    env = dict(subprocess_env, PORT=str(_free_port()))
    env['PYTHONPATH'] = os.pathsep.join([str(REPO_ROOT / 'tests' / 'data'), env['PYTHONPATH']])
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
         '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2'],
        cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=400)
    assert proc.returncode == 0, proc.stdout[-6000:]  # torchrun: 0 only if every rank exited 0

    markers = {p.name: json.loads(p.read_text()) for p in work_dir.glob('rank*.done')}
    assert markers == {'rank0.done': {'iter': 2, 'world_size': 2},
                       'rank1.done': {'iter': 2, 'world_size': 2}}
    # Only rank 0 saves: exactly one checkpoint for the one save point (interval 2, 2 iters).
    assert sorted(p.name for p in work_dir.rglob('*.pth')) == ['iter_2.pth']
    with mmengine_checkpoint_globals():
        ckpt = torch.load(work_dir / 'iter_2.pth', map_location='cpu', weights_only=True)
    assert ckpt['meta']['iter'] == 2
    assert 'mIoU' in proc.stdout  # distributed validation gathered the ranks' results

    # dist_test.sh evaluates that checkpoint with two ranks as well.
    env['PORT'] = str(_free_port())
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', str(config), str(work_dir / 'iter_2.pth'), '2',
         '--work-dir', str(tmp_path / 'test')],
        cwd=REPO_ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=400)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert 'Iter(test) [1/1]' in proc.stdout  # 4 images, 2 ranks, batch 2: one batch per rank
    assert 'mIoU' in proc.stdout
