"""Every detection config builds (tiny backbone); baselines differ from DART only in tokens."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.config import Config

import dart_dense.models  # noqa: F401  (registers the classes)
from dart_dense.datasets import COCO_DEMO_CLASSES
from dart_dense.models import DARTViT
from dart_dense.models.detectors import PaddingAwareMixin

DET_CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / 'det'

LEAF_CONFIGS = sorted(p.name for p in DET_CONFIGS.glob('*.py'))


def test_leaf_configs_are_found() -> None:
    # the suite below must not pass vacuously
    assert {'mask-rcnn_dart-s_fpn_1x_coco.py', 'mask-rcnn_deit-s_fpn_1x_coco.py',
            'retinanet_dart-s_fpn_1x_coco.py', 'mask-rcnn_dart-t_fpn_demo.py'} \
        <= set(LEAF_CONFIGS)


@pytest.mark.parametrize('name', LEAF_CONFIGS)
def test_config_builds_with_tiny_backbone(name: str, det_config, make_tiny) -> None:
    from mmdet.registry import MODELS

    cfg = make_tiny(det_config(name))
    assert cfg.default_scope == 'mmdet'
    assert 'SyncBN' not in cfg.pretty_text  # single-process and CPU runs must work
    # --show-dir pictures with the token regions: the hook and the module registering it
    assert cfg.default_hooks.visualization.type == 'DetTokenVisualizationHook'
    assert {'dart_dense.models.detectors',
            'dart_dense.engine.hooks.det_token_visualization_hook'} <= \
        set(cfg.custom_imports.imports)
    model = MODELS.build(cfg.model)
    assert isinstance(model, PaddingAwareMixin)
    assert isinstance(model.backbone, DARTViT)
    expected = 'GridTokenizer' if '_deit-' in name else 'DARTTokenizer'
    assert type(model.backbone.tokenizer).__name__ == expected
    evaluator = cfg.test_evaluator
    assert evaluator.type == 'CocoMetric'
    metrics = {evaluator.metric} if isinstance(evaluator.metric, str) else set(evaluator.metric)
    assert metrics == ({'bbox', 'segm'} if name.startswith('mask-rcnn') else {'bbox'})


def _without_tokens(cfg: Config) -> dict:
    """The config as a dict, without the tokenizer and the pretrained checkpoint."""
    cfg = cfg.to_dict()
    cfg['model']['backbone'].pop('tokenizer')
    cfg['model']['backbone'].pop('init_cfg', None)
    return cfg


@pytest.mark.parametrize('dart,grid', [
    (f'{det}_dart-{arch}_fpn_{sched}', f'{det}_deit-{arch}_fpn_{sched}')
    for det, arch, sched in [('mask-rcnn', 't', '1x_coco.py'), ('mask-rcnn', 's', '1x_coco.py'),
                             ('mask-rcnn', 'b', '1x_coco.py'), ('retinanet', 's', '1x_coco.py'),
                             ('mask-rcnn', 't', 'demo.py'), ('fcos', 'mini', 'demo.py')]])
def test_grid_baseline_differs_only_in_the_tokenizer(dart: str, grid: str, det_config) -> None:
    a, b = det_config(dart), det_config(grid)
    assert a.model.backbone.tokenizer.type == 'DARTTokenizer'
    assert b.model.backbone.tokenizer.type == 'GridTokenizer'
    assert _without_tokens(a) == _without_tokens(b)


def test_coco_configs_follow_the_vit_recipe(det_config) -> None:
    cfg = det_config('mask-rcnn_dart-s_fpn_1x_coco.py')
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999),
                                               weight_decay=0.1)
    paramwise = cfg.optim_wrapper.paramwise_cfg
    assert paramwise.norm_decay_mult == 0
    assert paramwise.custom_keys.pos_embed.decay_mult == 0
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.model.neck.norm_cfg.type == 'LN2d'
    assert cfg.train_cfg.max_epochs == 12
    # stock COCO pipeline: 1333x800, padded per batch by the data preprocessor
    resize = cfg.train_dataloader.dataset.pipeline[2]
    assert (resize.type, resize.scale, resize.keep_ratio) == ('Resize', (1333, 800), True)
    assert cfg.model.data_preprocessor.pad_size_divisor == 32


def test_demo_config_uses_the_demo_classes_and_keeps_empty_images(det_config) -> None:
    cfg = det_config('mask-rcnn_dart-t_fpn_demo.py')
    assert cfg.metainfo['classes'] == COCO_DEMO_CLASSES
    assert cfg.model.roi_head.bbox_head.num_classes == len(COCO_DEMO_CLASSES)
    assert cfg.model.roi_head.mask_head.num_classes == len(COCO_DEMO_CLASSES)
    assert cfg.train_dataloader.dataset.filter_cfg.filter_empty_gt is False
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        assert loader.dataset.data_root == cfg.data_root == 'data/coco_demo/'
        assert loader.dataset.metainfo['classes'] == COCO_DEMO_CLASSES
    assert cfg.val_evaluator.ann_file == 'data/coco_demo/annotations/instances_val2017.json'


def test_configs_name_their_pretrained_weights_as_local_files(det_config) -> None:
    for name in LEAF_CONFIGS:
        init_cfg = det_config(name).model.backbone.get('init_cfg')
        if name.endswith('_demo.py'):
            assert init_cfg is None, name  # the demo trains from scratch
        else:
            assert init_cfg.type == 'Pretrained', name
            assert Path(init_cfg.checkpoint).parts[0] == 'pretrain', name
            assert '://' not in init_cfg.checkpoint, name  # no downloads
