"""Every config in configs/video builds; demo configs train, test and infer on demo clips."""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import dart_dense  # noqa: F401  (compat shims before mmaction)
from dart_dense.datasets import VIDEO_DEMO_CLASSES
from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.token_recorder import TokenRecorder

REPO_ROOT = Path(__file__).resolve().parents[2]
VIDEO_CONFIGS = sorted((REPO_ROOT / 'configs' / 'video').glob('*.py'))
DEMO_CONFIGS = [p for p in VIDEO_CONFIGS if 'video-demo' in p.name]
DEMO_CONFIG = REPO_ROOT / 'configs' / 'video' / 'dart-mini_8x2x1_video-demo.py'
GRID_DEMO_CONFIG = REPO_ROOT / 'configs' / 'video' / 'grid-mini_8x2x1_video-demo.py'


def test_the_suite_has_kinetics_demo_and_baseline_configs() -> None:
    names = {p.name for p in VIDEO_CONFIGS}
    assert {'dart-s_8x8x1_kinetics400-rgb.py', 'grid-s_8x8x1_kinetics400-rgb.py',
            DEMO_CONFIG.name, GRID_DEMO_CONFIG.name} <= names


@pytest.mark.parametrize('path', VIDEO_CONFIGS, ids=lambda p: p.stem)
def test_config_builds_and_runs_tiny(path: Path) -> None:
    from mmaction.registry import MODELS

    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmaction'
    assert cfg.model.type == 'Recognizer3D' and cfg.model.backbone.type == 'DARTVideoViT'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.type == 'VideoDataset'
        assert cfg[key].dataset.pipeline[-2] == dict(type='FormatShape', input_format='NCTHW')
    assert cfg.val_evaluator.type == 'AccMetric'
    if path in DEMO_CONFIGS:
        assert cfg.model.cls_head.num_classes == len(VIDEO_DEMO_CLASSES)
        assert cfg.train_dataloader.dataset.data_root == 'data/video_demo'
    else:
        assert cfg.model.cls_head.num_classes == 400
    init_default_scope('mmaction')
    for pipeline in (cfg.train_pipeline, cfg.val_pipeline, cfg.test_pipeline):
        Compose(pipeline)  # every transform name resolves
    cfg.model.backbone.arch = dict(embed_dims=32, depth=1, num_heads=2)
    cfg.merge_from_dict({'model.backbone.img_size': 32, 'model.backbone.num_frames': 2,
                         'model.cls_head.in_channels': 32})
    if cfg.model.backbone.tokenizer.type == 'DARTTokenizer':
        cfg.model.backbone.tokenizer.num_tokens = 2
    model = MODELS.build(cfg.model)
    model.init_weights()
    stride = cfg.model.backbone.patch_size
    scores = model(torch.randn(1, 1, 3, 2, 2 * stride, 2 * stride), mode='tensor', stage='head')
    assert scores.shape == (1, cfg.model.cls_head.num_classes)


@pytest.mark.parametrize('path', [DEMO_CONFIG, GRID_DEMO_CONFIG], ids=lambda p: p.stem)
def test_train_and_test_step_on_demo_clips(path: Path,
                                           tiny_demo_config: Callable[[Path], Config]) -> None:
    from mmaction.registry import MODELS

    cfg = tiny_demo_config(path)
    init_default_scope('mmaction')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    assert batch['inputs'][0].shape == (1, 3, 8, 64, 64)  # (clips, C, T, H, W) per sample
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.backbone.blocks[0].attn.qkv.weight.detach().clone()
    with TokenRecorder(model) as recorder:
        losses = model.train_step(batch, wrapper)
    assert torch.isfinite(losses['loss_cls'])
    assert not torch.equal(before, model.backbone.blocks[0].attn.qkv.weight)
    budgets = recorder.last.budgets
    units = 8 // model.backbone.tubelet_size  # frames, or tubelets of frames
    assert budgets.shape[1] == units
    assert (budgets.sum(dim=1) == units * cfg.model.backbone.tokenizer.get('num_tokens', 64)).all()

    val_batch = next(iter(Runner.build_dataloader(cfg.val_dataloader)))
    samples = model.test_step(val_batch)
    assert len(samples) == 2
    for sample in samples:
        assert sample.pred_score.shape == (len(VIDEO_DEMO_CLASSES),)
        torch.testing.assert_close(sample.pred_score.sum(), torch.tensor(1.0))  # 'prob'


def run_tool(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def cfg_options(options: dict[str, object]) -> list[str]:
    """The conftest's tiny overrides as ``--cfg-options`` words, plus one epoch."""
    options = options | {'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
                         'default_hooks.checkpoint.interval': 1}
    return [f'{key}={value}' for key, value in options.items()]


@pytest.fixture(scope='module')
def trained_demo(tmp_path_factory: pytest.TempPathFactory, demo_options: dict[str, object],
                 subprocess_env: dict[str, str]) -> tuple[Path, str]:
    """tools/train.py on the DART demo config: one epoch (2 iterations) and its validation."""
    work_dir = tmp_path_factory.mktemp('video_train')
    log = run_tool(['tools/train.py', str(DEMO_CONFIG), '--work-dir', str(work_dir),
                    '--cfg-options', *cfg_options(demo_options)], subprocess_env)
    return work_dir, log


def test_tools_train_then_test_report_accuracy(trained_demo: tuple[Path, str],
                                               demo_options: dict[str, object],
                                               subprocess_env: dict[str, str]) -> None:
    work_dir, log = trained_demo
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\]', log)
    assert re.search(r'Epoch\(val\) \[1\]\[2/2\]\s+acc/top1: [\d.]+\s+acc/top5: [\d.]+', log)
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    log = run_tool(['tools/test.py', str(DEMO_CONFIG), str(checkpoint), '--work-dir',
                    str(work_dir / 'test'), '--cfg-options', *cfg_options(demo_options)],
                   subprocess_env)
    top1 = re.search(r'Epoch\(test\) \[2/2\]\s+acc/top1: ([\d.]+)\s+acc/top5: ([\d.]+)', log)
    assert top1 and 0 <= float(top1.group(1)) <= float(top1.group(2)) <= 1


def test_init_recognizer_and_inference(trained_demo: tuple[Path, str], video_demo_root: Path,
                                       tiny_demo_config: Callable[[Path], Config]) -> None:
    from mmaction.apis import inference_recognizer, init_recognizer

    work_dir, _ = trained_demo
    cfg = tiny_demo_config(DEMO_CONFIG)
    with mmengine_checkpoint_globals():  # our checkpoints hold mmengine's message-hub types
        model = init_recognizer(cfg, str(work_dir / 'epoch_1.pth'), device='cpu')
    video = video_demo_root / 'videos_val' / 'clip_00000001.mp4'
    with TokenRecorder(model) as recorder:
        result = inference_recognizer(model, str(video))
    assert result.pred_score.shape == (len(VIDEO_DEMO_CLASSES),)
    assert 0 <= int(result.pred_label) < len(VIDEO_DEMO_CLASSES)
    units = 8 // model.backbone.tubelet_size
    assert (recorder.last.budgets.sum(dim=1) == units * 32).all()
