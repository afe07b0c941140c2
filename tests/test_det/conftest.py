"""Fixtures of the detection tests: a tiny COCO-layout dataset and tiny detector configs."""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from dart_dense.datasets import generate_coco_demo

REPO_ROOT = Path(__file__).resolve().parents[2]
DET_CONFIGS = REPO_ROOT / 'configs' / 'det'
TINY_ARCH = dict(embed_dims=32, depth=2, num_heads=2)


@pytest.fixture(scope='module', autouse=True)
def mmdet_scope() -> Iterator[None]:
    """mmdet as the default scope while a module of this folder runs (restored after, so
    tests of other toolboxes never see it)."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


@pytest.fixture(scope='session')
def coco_demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 training images (the last one without objects) and 3 validation images, in the three
    demo sizes 160x240, 240x160 and 200x200."""
    return generate_coco_demo(tmp_path_factory.mktemp('coco_demo'), num_train=6, num_val=3,
                              seed=0)


@functools.lru_cache(maxsize=None)
def _parse(name: str) -> Config:
    return Config.fromfile(DET_CONFIGS / name)


@pytest.fixture(scope='session')
def det_config() -> Callable[[str], Config]:
    """Factory: a fresh copy of ``configs/det/NAME`` (each file is parsed once per session)."""
    return lambda name: copy.deepcopy(_parse(name))


def _make_tiny(cfg: Config) -> Config:
    """Shrinks the backbone of a detection config to 32 dims and 2 blocks (in place).

    Every output level reads one of the two blocks; the neck's inputs follow. No pretrained
    weights are loaded.
    """
    backbone = cfg.model.backbone
    levels = len(backbone.out_strides)
    backbone.arch = dict(TINY_ARCH)
    backbone.out_indices = [min(i, 1) for i in range(levels)]
    backbone.init_cfg = None
    cfg.model.neck.in_channels = [TINY_ARCH['embed_dims']] * levels
    return cfg


def _few_boxes(cfg: Config) -> Config:
    """Fewer proposals, samples and detections (two-stage configs; in place): the tests
    check wiring and shapes, the stock numbers only cost time."""
    if 'rpn_head' not in cfg.model:
        return cfg
    cfg.model.train_cfg.rpn.sampler.num = 64
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    cfg.model.train_cfg.rcnn.sampler.num = 32
    cfg.model.test_cfg.rpn.update(nms_pre=200, max_per_img=50)
    cfg.model.test_cfg.rcnn.max_per_img = 10
    return cfg


def _point_at(cfg: Config, root: Path) -> Config:
    """Points every split and evaluator of a demo config at ``root`` (in place)."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = str(root / 'annotations' / 'instances_val2017.json')
    return cfg


@pytest.fixture(scope='session')
def make_tiny() -> Callable[[Config], Config]:
    """The tiny-backbone override (applied in place; returns the config)."""
    return _make_tiny


@pytest.fixture(scope='session')
def tiny_det_config(coco_demo_root: Path) -> Callable[[str], Config]:
    """Factory: ``configs/det/NAME`` with a tiny backbone and few boxes, pointed at the tiny
    dataset."""

    def load(name: str) -> Config:
        cfg = _few_boxes(_make_tiny(copy.deepcopy(_parse(name))))
        return _point_at(cfg, coco_demo_root)

    return load
