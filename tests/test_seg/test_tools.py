"""The seg suite through the tools: train, kill, --resume; test.py (mIoU, --show-dir pictures);
mmseg's init_model / inference_model; tools/visualize_tokens.py."""
from __future__ import annotations

import importlib.util
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.apis import inference_model, init_model
from seg_helpers import REPO_ROOT, TINY_IMAGE, logged_train_iters, run_tool

from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.token_recorder import TokenRecorder

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope='module')
def tool_env(subprocess_env: dict[str, str]) -> dict[str, str]:
    """subprocess_env with this folder importable (for the kill hook)."""
    env = dict(subprocess_env)
    env['PYTHONPATH'] = os.pathsep.join([str(HERE), env['PYTHONPATH']])
    return env


@pytest.fixture(scope='module')
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_demo_config: Callable[..., Config],
            tool_env: dict[str, str]) -> dict:
    """tools/train.py on the tiny DART demo: killed after iteration 3 (checkpoint at 2), then
    ``--resume`` to 4 (validation at 4)."""
    directory = tmp_path_factory.mktemp('seg_train')
    options = {'train_cfg.max_iters': 4, 'train_cfg.val_interval': 4,
               'param_scheduler': [dict(type='ConstantLR', factor=1.0, by_epoch=False)],
               'default_hooks.checkpoint.interval': 2,
               'default_hooks.checkpoint.max_keep_ckpts': 2,
               'default_hooks.logger.interval': 1}
    config = directory / 'tiny_dart_demo.py'
    tiny_demo_config(**options).dump(config)
    killing = directory / 'tiny_dart_demo_killed.py'
    cfg = tiny_demo_config(**options)
    cfg.custom_imports.imports.append('seg_kill_hook')
    cfg.custom_hooks = [dict(type='KillAtIterHook', iteration=3)]
    cfg.dump(killing)

    work_dir = directory / 'work'
    first = run_tool(['tools/train.py', str(killing), '--work-dir', str(work_dir)], tool_env,
                     check=False)
    resumed = run_tool(['tools/train.py', str(config), '--work-dir', str(work_dir), '--resume'],
                       tool_env)
    return dict(config=config, work_dir=work_dir, first=first, resumed=resumed.stdout)


def test_killed_run_resumes_at_the_right_iteration(trained: dict) -> None:
    first = trained['first']
    assert first.returncode == -signal.SIGKILL, first.stdout[-3000:]
    assert logged_train_iters(first.stdout) == [1, 2, 3]
    assert logged_train_iters(trained['resumed']) == [3, 4]  # from iter_2, iteration 3 redone
    with mmengine_checkpoint_globals():
        ckpt = torch.load(trained['work_dir'] / 'iter_4.pth', map_location='cpu',
                          weights_only=True)
    assert ckpt['meta']['iter'] == 4
    # AdamW's step counters continued from the saved state (a fresh optimizer would say 2)
    assert {int(s['step']) for s in ckpt['optimizer']['state'].values()} == {4}
    assert 'mIoU' in trained['resumed']


def test_test_tool_reports_miou_and_draws_tokens(trained: dict, tmp_path: Path,
                                                 tool_env: dict[str, str]) -> None:
    show_dir = tmp_path / 'show'
    log = run_tool(['tools/test.py', str(trained['config']),
                    str(trained['work_dir'] / 'iter_4.pth'), '--work-dir', str(tmp_path / 'w'),
                    '--show-dir', str(show_dir)], tool_env).stdout
    match = re.search(r'mIoU: (\d+\.\d+)', log)
    assert match, log[-3000:]
    assert 0.0 <= float(match.group(1)) <= 100.0
    pictures = sorted(show_dir.rglob('*.png'))
    assert len(pictures) == 2  # both validation images of the one drawn batch
    picture = cv2.imread(str(pictures[0]))
    # [tokens | importance | ground truth | prediction], the demo's scale=2, 4 px gaps
    side = 2 * TINY_IMAGE
    assert picture.shape == (side, 4 * side + 3 * 4, 3)


def _non_square_image(tmp_path: Path) -> Path:
    """A 96x160 JPEG (not the training size, not square)."""
    rng = np.random.default_rng(0)
    image = np.full((96, 160, 3), 90, np.uint8)
    image[20:60, 30:90] = (30, 200, 60)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    path = tmp_path / 'scene.jpg'
    cv2.imwrite(str(path), image)
    return path


def test_mmseg_apis_segment_at_the_input_size(trained: dict, tmp_path: Path) -> None:
    image = _non_square_image(tmp_path)
    with mmengine_checkpoint_globals():
        model = init_model(str(trained['config']), str(trained['work_dir'] / 'iter_4.pth'),
                           device='cpu')
    assert model.dataset_meta['classes'][0] == 'wall'  # from the checkpoint's meta
    with TokenRecorder(model) as recorder:
        result = inference_model(model, str(image))
    assert tuple(result.pred_sem_seg.data.shape) == (1, 96, 160)
    assert recorder.last.layout.image_hw == (96, 160)


def test_visualize_tokens_tool(trained: dict, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        'visualize_tokens', REPO_ROOT / 'tools' / 'visualize_tokens.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    image = _non_square_image(tmp_path)
    out_dir = tmp_path / 'pictures'
    tool.main([str(trained['config']), str(trained['work_dir'] / 'iter_4.pth'), str(image),
               '--out-dir', str(out_dir), '--show-scores'])
    picture = cv2.imread(str(out_dir / 'scene_tokens.png'))
    # [tokens | importance | prediction] at --scale 2 (default), 4 px gaps
    assert picture.shape == (192, 3 * 320 + 2 * 4, 3)
