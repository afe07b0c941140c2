"""Every config under configs/seg/ builds (model and data pipelines) and takes a training batch."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

from dart_dense.models.backbones.dart_vit import ARCH_ZOO
from seg_helpers import REPO_ROOT, SEG_CONFIGS, load_config, tiny_config

SEG_DIR = REPO_ROOT / 'configs' / 'seg'
SINGLE_PROCESS = ('upernet_dart.py', 'upernet_dart_demo.py', 'upernet_grid_demo.py')


def test_the_suite_is_complete() -> None:
    names = {p.name for p in SEG_CONFIGS}
    assert set(SINGLE_PROCESS) <= names
    for variant in ('dart-t16-n512', 'dart-s16-n256', 'dart-s16-n512', 'dart-s16-n768',
                    'dart-s16-n1024', 'dart-b16-n512', 'grid-t16', 'grid-s16', 'grid-b16'):
        assert f'upernet_{variant}_8xb2-160k_ade20k-512x512.py' in names


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=lambda p: p.name)
def test_config_builds_and_takes_a_training_batch(path: Path, seg_demo_root: Path) -> None:
    cfg = tiny_config(path, seg_demo_root)
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    assert (len(train_set), len(val_set)) == (4, 2)
    # the test pipeline brings an image to the training scale, the crop's short side (stock
    # ADE20K: Resize; demo: the generated images already have it)
    assert min(val_set[0]['inputs'].shape[-2:]) == min(cfg.crop_size)
    batch = model.data_preprocessor(pseudo_collate([train_set[0], train_set[1]]), training=True)
    assert tuple(batch['inputs'].shape[-2:]) == tuple(cfg.crop_size)
    losses = model.loss(**batch)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert math.isfinite(total.item())


@pytest.mark.parametrize('path', SEG_CONFIGS, ids=lambda p: p.name)
def test_config_channels_agree_at_full_size(path: Path) -> None:
    """The tiny override hides width mismatches: check them on the real config."""
    model = load_config(path).model
    arch = model.backbone.arch
    embed_dims = (ARCH_ZOO[arch] if isinstance(arch, str) else arch)['embed_dims']
    features = embed_dims  # without a neck the heads read the backbone's outputs
    if model.get('neck') is not None:
        assert model.neck.in_channels == [embed_dims] * len(model.backbone.out_indices)
        features = model.neck.out_channels
    if isinstance(model.decode_head.in_channels, int):  # token-space head: one or several
        index = model.decode_head.get('in_index', -1)   # token sets, concatenated
        assert model.decode_head.in_channels == features * (
            len(index) if isinstance(index, (list, tuple)) else 1)
    else:
        assert model.decode_head.in_channels == [features] * len(model.decode_head.in_index)
    if model.get('auxiliary_head') is not None:
        assert model.auxiliary_head.in_channels == features
    assert model.data_preprocessor.size is not None


def _norm_types(node: object) -> set[str]:
    """Every ``type`` of a dict with ``norm`` in its key, anywhere in a config tree."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if 'norm' in str(key) and isinstance(value, dict) and 'type' in value:
                found.add(value['type'])
            found |= _norm_types(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            found |= _norm_types(item)
    return found


@pytest.mark.parametrize('name', SINGLE_PROCESS)
def test_single_process_configs_have_no_syncbn(name: str) -> None:
    types = _norm_types(load_config(SEG_DIR / name).to_dict())
    assert 'BN' in types and 'SyncBN' not in types


def _without(cfg: Config, *keys: str) -> dict:
    """The config as a dict without the dotted ``keys`` (e.g. what a comparison may change)."""
    tree = cfg.to_dict()
    for key in keys:
        *parents, last = key.split('.')
        node = tree
        for parent in parents:
            node = node[parent]
        node.pop(last)
    return tree


@pytest.mark.parametrize('arch', ['t16', 's16', 'b16'])
def test_grid_baselines_change_only_the_tokenizer(arch: str) -> None:
    grid = load_config(SEG_DIR / f'upernet_grid-{arch}_8xb2-160k_ade20k-512x512.py')
    dart = load_config(SEG_DIR / f'upernet_dart-{arch}-n512_8xb2-160k_ade20k-512x512.py')
    assert grid.model.backbone.tokenizer == dict(type='GridTokenizer')
    assert dart.model.backbone.tokenizer.type == 'DARTTokenizer'
    # the ImageNet checkpoint differs too (DeiT for the grid, DART for DART)
    changed = ('model.backbone.tokenizer', 'model.backbone.init_cfg.checkpoint')
    assert _without(grid, *changed) == _without(dart, *changed)


def test_demo_baseline_changes_only_the_tokenizer() -> None:
    grid = load_config(SEG_DIR / 'upernet_grid_demo.py')
    dart = load_config(SEG_DIR / 'upernet_dart_demo.py')
    assert grid.model.backbone.tokenizer == dict(type='GridTokenizer')
    assert _without(grid, 'model.backbone.tokenizer') == \
        _without(dart, 'model.backbone.tokenizer')


def test_budget_variants_change_only_the_budget() -> None:
    base = load_config(SEG_DIR / 'upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py')
    for n in (256, 768, 1024):
        variant = load_config(SEG_DIR / f'upernet_dart-s16-n{n}_8xb2-160k_ade20k-512x512.py')
        assert variant.model.backbone.tokenizer.num_tokens == n
        key = 'model.backbone.tokenizer.num_tokens'
        assert _without(variant, key) == _without(base, key)
