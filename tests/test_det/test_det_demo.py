"""The detection demo's path (tools/run_det_demo.sh): its 'det' data and a tiny FCOS run through
tools/train.py and tools/test.py with CocoMetric."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from dart_dense.datasets import generate_coco_demo
from dart_dense.structures import TokenLayout

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / 'configs' / 'det' / 'fcos_dart-mini_fpn_demo.py'
TOKEN_TOOL = REPO_ROOT / 'tools' / 'analysis_tools' / 'det_token_budget.py'
ITERS = 3

# pycocotools' mask decoding trips a numpy 2 DeprecationWarning (copy keyword) that is not ours
pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')


@pytest.fixture(scope='module')
def det_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 training images (the last empty) and 4 validation images of the demo's 'det' style."""
    return generate_coco_demo(tmp_path_factory.mktemp('coco_det'), num_train=8, num_val=4,
                              sizes=((192, 256), (256, 192), (224, 224)), difficulty='det')


def _boxes(root: Path, split: str) -> list[np.ndarray]:
    from pycocotools.coco import COCO

    coco = COCO(str(root / 'annotations' / f'instances_{split}2017.json'))
    return [np.array([a['bbox'] for a in coco.imgToAnns[i]]).reshape(-1, 4)
            for i in sorted(coco.imgs)]


def test_det_style_has_fewer_larger_objects_than_the_default(det_root: Path,
                                                             coco_demo_root: Path) -> None:
    det = _boxes(det_root, 'val')
    default = _boxes(coco_demo_root, 'val')
    det_sides = np.concatenate([b[:, 2:].max(1) for b in det])
    default_sides = np.concatenate([b[:, 2:].max(1) for b in default])
    assert all(len(b) >= 2 for b in det)
    assert np.mean([len(b) for b in det]) < np.mean([len(b) for b in default])
    # 8 px diameter at least (a partly hidden object may show less of itself)
    assert np.median(det_sides) > 2 * np.median(default_sides)
    assert (det_sides >= 8).mean() > 0.9
    # COCO-small and -medium objects both present: AP_small and AP_medium are measurable
    areas = np.concatenate([b[:, 2] * b[:, 3] for b in det])
    assert (areas < 32 ** 2).any() and (areas > 32 ** 2).any()


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory: pytest.TempPathFactory, det_root: Path) -> Path:
    """The demo config with a 2-block, 32-dim backbone on the tiny data, ITERS iterations."""
    root = det_root
    ann = str(root / 'annotations' / 'instances_val2017.json')
    path = tmp_path_factory.mktemp('fcos_demo') / 'tiny_fcos_demo.py'
    path.write_text(
        f'_base_ = [{str(DEMO)!r}]\n'
        'model = dict(\n'
        '    backbone=dict(arch=dict(_delete_=True, embed_dims=32, depth=2, num_heads=2),\n'
        '                  out_indices=(0, 1, 1)),\n'
        '    neck=dict(in_channels=[32, 32, 32], out_channels=32),\n'
        '    bbox_head=dict(in_channels=32, feat_channels=32, stacked_convs=1),\n'
        # after 3 iterations every score is near the focal-loss prior (0.01): keep them all,
        # or CocoMetric would see no detections and report nothing
        '    test_cfg=dict(score_thr=0.0))\n'
        f'train_dataloader = dict(batch_size=2, dataset=dict(data_root={str(root)!r}))\n'
        f'val_dataloader = dict(dataset=dict(data_root={str(root)!r}))\n'
        f'test_dataloader = dict(dataset=dict(data_root={str(root)!r}))\n'
        f'val_evaluator = dict(ann_file={ann!r})\n'
        f'test_evaluator = dict(ann_file={ann!r})\n'
        f'train_cfg = dict(max_iters={ITERS}, val_interval={ITERS})\n'
        'param_scheduler = [dict(type="ConstantLR", factor=1.0, by_epoch=False)]\n'
        f'default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={ITERS}))\n')
    return path


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def test_fcos_demo_trains_and_reports_coco_ap(tiny_config: Path, tmp_path: Path,
                                              subprocess_env: dict[str, str]) -> None:
    config = tiny_config
    work_dir = tmp_path / 'work'
    log = _run(['tools/train.py', str(config), '--work-dir', str(work_dir)], subprocess_env)
    for step in range(1, ITERS + 1):
        line = re.search(rf'Iter\(train\) \[\s*{step}/{ITERS}\].*', log)
        assert line, f'no log line for iteration {step}'
        for key in ('loss_cls', 'loss_bbox', 'loss_centerness'):
            value = re.search(rf'{key}: (\S+)', line.group(0))
            assert value and np.isfinite(float(value.group(1))), key
    checkpoint = work_dir / f'iter_{ITERS}.pth'
    log = _run(['tools/test.py', str(config), str(checkpoint), '--work-dir', str(tmp_path)],
               subprocess_env)
    metrics = {k: float(v) for k, v in re.findall(r'(coco/bbox_\w+): (-?[\d.]+)', log)}
    # -1 would mark a size range without objects; small and medium ones are present here
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_s', 'coco/bbox_mAP_m'):
        assert key in metrics and 0 <= metrics[key] <= 1, (key, metrics)


def _token_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location('det_token_budget', TOKEN_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_padding_share_of_a_grid_counts_the_cells_outside_the_image() -> None:
    layout = TokenLayout.grid(2, (64, 64), 16, torch.device('cpu'))
    valid = torch.tensor([[32.0, 48.0], [64.0, 40.0]])
    share = _token_tool().padding_share(layout, valid)  # (2, 16)
    # 16 cells of 16 px: 10 outside 32x48; outside 64x40 the last column (4) and half of the
    # third (4 cells, half each)
    assert share.sum(1).tolist() == pytest.approx([10.0, 4 + 4 * 0.5])
    assert ((share >= 0) & (share <= 1)).all()


def test_padding_aware_tokenizer_spends_fewer_tokens_on_padding(tiny_config: Path) -> None:
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmdet'):
        # the tiny validation split: 192x256, 256x192 and 224x224 (scaled to 256) in one batch
        result = _token_tool().measure(str(tiny_config), None, batch_size=3, split='val')
    assert result['images'] == 4 and result['tokens'] > 0
    assert 0 < result['padded_area'] < 0.5
    assert result['grid'] == pytest.approx(result['padded_area'] * result['tokens'])
    assert result['aware'] < result['plain'] and result['aware'] < result['grid']


def test_tokens_per_object_follow_the_area_on_a_grid(tiny_config: Path) -> None:
    from mmengine.registry import DefaultScope

    grid = tiny_config.with_name('tiny_fcos_grid.py')
    grid.write_text(f'_base_ = [{str(tiny_config)!r}]\n'
                    "model = dict(backbone=dict(tokenizer=dict(_delete_=True, "
                    "type='GridTokenizer')))\n")
    tool = _token_tool()
    with DefaultScope.overwrite_default_scope('mmdet'):
        on_grid = tool.measure_objects(str(grid), None, split='val')
        on_dart = tool.measure_objects(str(tiny_config), None, split='val')
    assert on_grid['images'] == on_dart['images'] == 4
    assert on_grid['small_objects'] == on_dart['small_objects'] > 0
    assert on_grid['larger_objects'] > 0
    # the images are multiples of the 16-px cell: a box holds exactly its area's share
    assert on_grid['small_object_density'] == pytest.approx(1.0)
    assert on_grid['larger_object_density'] == pytest.approx(1.0)
    for key in ('small', 'larger'):
        assert on_dart[f'{key}_object_density'] > 0
        assert on_dart[f'tokens_per_{key}_object'] > 0
