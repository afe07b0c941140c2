"""The demo config through tools/train.py, tools/test.py (CocoMetric, --show-dir) and
mmdet.apis; bad dataset paths."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config

from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.token_recorder import TokenRecorder

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / 'configs' / 'det' / 'mask-rcnn_dart-t_fpn_demo.py'
ITERS = 2


def run_tool(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    """Runs a tools/ script with this interpreter; returns stdout+stderr, asserts exit 0."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def coco_metrics(log: str) -> dict[str, float]:
    """The last ``coco/...`` values that mmengine logged."""
    return {k: float(v) for k, v in re.findall(r'(coco/\w+): (-?[\d.]+)', log)}


@pytest.fixture(scope='module')
def demo_config(tmp_path_factory: pytest.TempPathFactory, coco_demo_root: Path) -> Path:
    """The demo config with a 2-block, 32-dim backbone and few boxes, on the tiny data."""
    root = str(coco_demo_root)
    ann = str(coco_demo_root / 'annotations' / 'instances_val2017.json')
    path = tmp_path_factory.mktemp('det_configs') / 'tiny_demo.py'
    path.write_text(
        f'_base_ = [{str(DEMO)!r}]\n'
        'model = dict(\n'
        '    backbone=dict(arch=dict(_delete_=True, embed_dims=32, depth=2, num_heads=2),\n'
        '                  out_indices=(0, 1, 1, 1)),\n'
        '    neck=dict(in_channels=[32, 32, 32, 32]),\n'
        '    train_cfg=dict(rpn_proposal=dict(nms_pre=200, max_per_img=100)),\n'
        '    test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=50), rcnn=dict(max_per_img=10)))\n'
        f'train_dataloader = dict(dataset=dict(data_root={root!r}))\n'
        f'val_dataloader = dict(dataset=dict(data_root={root!r}))\n'
        f'test_dataloader = dict(dataset=dict(data_root={root!r}))\n'
        f'val_evaluator = dict(ann_file={ann!r})\n'
        f'test_evaluator = dict(ann_file={ann!r})\n'
        f'train_cfg = dict(max_iters={ITERS}, val_interval={ITERS})\n'
        f'default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ITERS}))\n')
    return path


@pytest.fixture(scope='module')
def trained(demo_config: Path, tmp_path_factory: pytest.TempPathFactory,
            subprocess_env: dict[str, str]) -> tuple[Path, str]:
    work_dir = tmp_path_factory.mktemp('det_train')
    log = run_tool(['tools/train.py', str(demo_config), '--work-dir', str(work_dir)],
                   subprocess_env)
    return work_dir / f'iter_{ITERS}.pth', log


def test_train_logs_losses_and_evaluates_with_coco_metric(trained: tuple[Path, str]) -> None:
    checkpoint, log = trained
    assert checkpoint.is_file()
    for step in range(1, ITERS + 1):
        line = re.search(rf'Iter\(train\) \[\s*{step}/{ITERS}\].*', log)
        assert line, f'no log line for iteration {step}'
        for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask'):
            value = re.search(rf'{key}: (\S+)', line.group(0))
            assert value and torch.isfinite(torch.tensor(float(value.group(1)))), key
    metrics = coco_metrics(log)  # the validation after the last iteration
    assert {'coco/bbox_mAP', 'coco/segm_mAP'} <= set(metrics)


def test_test_tool_reports_coco_ap_and_draws_tokens(trained: tuple[Path, str],
                                                    demo_config: Path, tmp_path: Path,
                                                    coco_demo_root: Path,
                                                    subprocess_env: dict[str, str]) -> None:
    checkpoint, _ = trained
    show_dir = tmp_path / 'show'
    log = run_tool(['tools/test.py', str(demo_config), str(checkpoint), '--work-dir',
                    str(tmp_path), '--show-dir', str(show_dir)], subprocess_env)
    metrics = coco_metrics(log)
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP', 'coco/segm_mAP_50'):
        assert key in metrics and 0 <= metrics[key] <= 1, key
    originals = sorted((coco_demo_root / 'val2017').glob('*.jpg'))
    pictures = sorted(show_dir.glob('*.jpg'))
    assert [p.name for p in pictures] == [p.name for p in originals]
    for original, picture in zip(originals, pictures):
        height, width = cv2.imread(str(original)).shape[:2]
        drawn = cv2.imread(str(picture))
        # token regions and importance (at 2x, the demo's scale), ground truth, prediction
        assert drawn.shape[0] == 2 * height
        assert drawn.shape[1] >= 2 * (2 * width) + 2 * width


def test_init_detector_and_inference_detector(trained: tuple[Path, str], demo_config: Path,
                                              coco_demo_root: Path) -> None:
    from mmdet.apis import inference_detector, init_detector

    checkpoint, _ = trained
    # our checkpoints hold mmengine's message-hub types: allowed explicitly, still weights_only
    with mmengine_checkpoint_globals():
        model = init_detector(str(demo_config), str(checkpoint), device='cpu')
    assert model.dataset_meta['classes'][0] == 'airplane'
    images = sorted((coco_demo_root / 'val2017').glob('*.jpg'))[:2]  # 160x240 and 240x160
    with TokenRecorder(model) as recorder:
        results = inference_detector(model, [str(p) for p in images])
    for path, result in zip(images, results):
        height, width = cv2.imread(str(path)).shape[:2]
        assert result.ori_shape == (height, width)
        assert result.pred_instances.masks.shape[1:] == (height, width)
    assert recorder.last.layout.batch_size == 1  # one image per forward


def test_missing_annotation_file_and_image_dir_name_the_path(coco_demo_root: Path,
                                                             tmp_path: Path) -> None:
    from mmdet.evaluation import CocoMetric
    from mmdet.registry import DATASETS

    dataset = Config.fromfile(DEMO).train_dataloader.dataset
    dataset.data_root = str(coco_demo_root)
    missing_ann = dict(dataset, ann_file='annotations/instances_nope.json')
    with pytest.raises(FileNotFoundError, match='annotations/instances_nope.json'):
        DATASETS.build(missing_ann)
    missing_dir = dict(dataset, data_prefix=dict(img='nope2017/'))
    images = DATASETS.build(missing_dir)  # annotations load; the first image read fails
    with pytest.raises(FileNotFoundError, match='nope2017/000000000001.jpg'):
        images[0]
    with pytest.raises(FileNotFoundError, match='missing.json'):
        CocoMetric(ann_file=str(tmp_path / 'missing.json'))
