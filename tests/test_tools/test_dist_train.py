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


# DART backbone with a trainable ConvScorer in place of the tiny config's MiT: its scores steer
# the token geometry, so the scorer's gradients must be all-reduced like any other parameter's
DART_TINY_MODEL = """
custom_imports = dict(imports=['dart_dense.models', 'rank_marker_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RankMarkerHook', param_prefix='backbone.tokenizer.scorer.')]
model = dict(
    backbone=dict(
        _delete_=True, type='DARTViT', arch=dict(embed_dims=16, depth=2, num_heads=2),
        img_size=64, patch_size=8, out_indices=(0, 0, 1, 1), out_strides=(4, 8, 16, 32),
        tokenizer=dict(type='DARTTokenizer', num_tokens=32,
                       scorer=dict(type='ConvScorer', channels=(8, 8)))),
    decode_head=dict(in_channels=[16, 16, 16, 16]))
"""


def _markers(work_dir: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in work_dir.glob('rank*.done')}


def _scorer_state(checkpoint: Path) -> dict[str, torch.Tensor]:
    with mmengine_checkpoint_globals():
        state = torch.load(checkpoint, map_location='cpu', weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if k.startswith('backbone.tokenizer.scorer.')}


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU (gloo) path')
def test_dist_train_dart_with_trainable_scorer_and_resume(
        tmp_path: Path, make_tiny_seg_config, subprocess_env: dict[str, str]) -> None:
    """Two ranks train a DART backbone whose ConvScorer learns, then resume: no
    find_unused_parameters is needed (every parameter gets a gradient), the replicas stay in
    sync, and the resumed run continues from the saved iteration."""
    config = make_tiny_seg_config(DART_TINY_MODEL)
    work_dir = tmp_path / 'work'
    env = dict(subprocess_env, PORT=str(_free_port()))
    env['PYTHONPATH'] = os.pathsep.join([str(REPO_ROOT / 'tests' / 'data'), env['PYTHONPATH']])

    def train(max_iters: int, *extra: str) -> str:
        proc = subprocess.run(
            ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
             *extra, '--cfg-options', f'train_cfg.max_iters={max_iters}',
             f'train_cfg.val_interval={max_iters}'],
            cwd=REPO_ROOT, env=dict(env, PORT=str(_free_port())), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=400)
        assert proc.returncode == 0, proc.stdout[-6000:]
        return proc.stdout

    train(2)
    first = _markers(work_dir)
    assert {m['iter'] for m in first.values()} == {2} and len(first) == 2
    assert first['rank0.done']['param_sum'] == first['rank1.done']['param_sum']

    log = train(4, '--resume')
    assert 'resumed' in log.lower() and 'Iter(train) [3/4]' in log
    assert 'Iter(train) [1/4]' not in log  # continued, not restarted
    second = _markers(work_dir)
    assert {m['iter'] for m in second.values()} == {4}
    assert second['rank0.done']['param_sum'] == second['rank1.done']['param_sum']
    before, after = _scorer_state(work_dir / 'iter_2.pth'), _scorer_state(work_dir / 'iter_4.pth')
    assert before and before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # the scorer trained
