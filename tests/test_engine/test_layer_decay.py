"""ViT fine-tuning recipe: DARTViT's timm / mmpretrain API and the layer-decay optimizer
constructor, alone and in the segmentation (0.65) and detection (0.7) configs."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope, MODELS
from torch import nn

import dart_dense.engine  # noqa: F401  (registers the constructor)
import dart_dense.models  # noqa: F401

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
TINY = dict(embed_dims=32, depth=3, num_heads=2)


def _backbone(**kwargs) -> nn.Module:
    cfg = dict(type='DARTViT', arch=TINY, img_size=32, patch_size=8,
               tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                              scorer=dict(type='ConvScorer', channels=(8, 8))))
    return MODELS.build({**cfg, **kwargs})


class _Segmentor(nn.Module):
    """A backbone and a head, named as in mmseg / mmdet models."""

    def __init__(self):
        super().__init__()
        self.backbone = _backbone()
        self.decode_head = nn.Sequential(nn.Linear(32, 8), nn.LayerNorm(8))


def _groups(model: nn.Module, optim_wrapper: dict) -> dict[str, dict]:
    """Parameter name → its optimizer group (lr, weight_decay, layer_id)."""
    wrapper = build_optim_wrapper(model, copy.deepcopy(optim_wrapper))
    names = {id(p): n for n, p in model.named_parameters()}
    defaults = wrapper.optimizer.defaults
    groups = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            groups[names[id(param)]] = {**defaults, **{k: v for k, v in group.items()
                                                       if k != 'params'}}
    return groups


def test_layer_depth_follows_mmpretrain_convention():
    vit = _backbone()
    depth = TINY['depth']
    expected = {
        'backbone.tokenizer.proj.weight': 0,
        'backbone.tokenizer.scorer.head.weight': 0,
        'backbone.pos_embed': 0,
        'backbone.cls_token': 0,
        'backbone.blocks.0.attn.qkv.weight': 1,
        'backbone.blocks.2.mlp.fc2.bias': 3,
        'backbone.norm.weight': depth + 1,
        'decode_head.conv_seg.weight': depth + 1,  # outside the backbone: the full rate
    }
    for name, layer in expected.items():
        assert vit.get_layer_depth(name, prefix='backbone.') == (layer, depth + 2), name
    assert vit.get_layer_depth('blocks.1.norm1.weight') == (2, depth + 2)


def test_timm_fine_tuning_api():
    from timm.models import group_parameters

    vit = _backbone()
    assert vit.num_prefix_tokens == 1 and _backbone(with_cls_token=False).num_prefix_tokens == 0
    assert vit.no_weight_decay() == {'pos_embed', 'cls_token'}
    groups = group_parameters(vit, vit.group_matcher())
    names = [sorted(g) for g in groups.values()]  # stem, blocks 0..2 (the last with the norm)
    assert len(names) == TINY['depth'] + 1
    assert 'tokenizer.proj.weight' in names[0] and 'pos_embed' in names[0]
    assert all(n.startswith('blocks.1.') for n in names[2])
    assert {'norm.bias', 'norm.weight'} < set(names[-1])
    assert all(n.startswith(('blocks.2.', 'norm.')) for n in names[-1])
    coarse = group_parameters(vit, vit.group_matcher(coarse=True))
    assert len(coarse) == TINY['depth'] + 2  # coarse: the norm is an unmatched (last) group
    vit.set_grad_checkpointing()
    assert vit.with_cp
    vit.set_grad_checkpointing(False)
    assert not vit.with_cp


def test_video_backbone_inherits_the_api():
    video = MODELS.build(dict(
        type='DARTVideoViT', arch=TINY, num_frames=2, img_size=32, patch_size=8,
        tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                       scorer=dict(type='ConvScorer', channels=(8, 8)))))
    assert 'time_embed' in video.no_weight_decay()
    assert video.get_layer_depth('backbone.time_embed', 'backbone.') == (0, TINY['depth'] + 2)


def test_constructor_scales_lr_by_layer_and_keeps_mmengine_rules():
    model = _Segmentor()
    rate, lr, wd = 0.5, 1e-3, 0.05
    groups = _groups(model, dict(
        optimizer=dict(type='AdamW', lr=lr, weight_decay=wd),
        constructor='LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=rate, norm_decay_mult=0.0,
                           custom_keys={'decode_head.0': dict(lr_mult=2.0)})))
    assert set(groups) == {n for n, _ in model.named_parameters()}
    top = TINY['depth'] + 1
    for name, group in groups.items():
        layer, _ = model.backbone.get_layer_depth(name, 'backbone.')
        mult = 2.0 if name.startswith('decode_head.0') else 1.0
        assert group['layer_id'] == layer
        assert group['lr'] == pytest.approx(lr * mult * rate ** (top - layer)), name
    assert groups['backbone.tokenizer.proj.weight']['lr'] == pytest.approx(lr * rate ** 4)
    assert groups['backbone.blocks.2.attn.qkv.weight']['lr'] == pytest.approx(lr * rate)
    assert groups['decode_head.1.weight']['lr'] == pytest.approx(lr)
    # weight decay: the backbone's no_weight_decay() names and (norm_decay_mult) the norms
    for name in ('backbone.pos_embed', 'backbone.cls_token', 'backbone.norm.weight',
                 'backbone.blocks.0.norm1.weight', 'decode_head.1.weight'):
        assert groups[name]['weight_decay'] == 0.0, name
    for name in ('backbone.blocks.0.attn.qkv.weight', 'backbone.tokenizer.proj.weight',
                 'decode_head.0.weight', 'backbone.blocks.1.mlp.fc1.bias'):
        assert groups[name]['weight_decay'] == wd, name


def test_constructor_errors_name_the_setting():
    optimizer = dict(type='AdamW', lr=1e-3, weight_decay=0.05)
    for bad in (None, 0, 1.5, 'high'):
        with pytest.raises(ValueError, match='paramwise_cfg.layer_decay_rate'):
            build_optim_wrapper(_Segmentor(), dict(
                optimizer=optimizer, constructor='LayerDecayOptimWrapperConstructor',
                paramwise_cfg=dict(layer_decay_rate=bad)))
    with pytest.raises(TypeError, match='get_layer_depth'):
        build_optim_wrapper(nn.Linear(2, 2), dict(
            optimizer=optimizer, constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.7)))


def _tiny_model_from(path: Path, scope: str) -> tuple[Config, nn.Module]:
    """The config's model with a tiny backbone (no pretrained weights), built in its scope."""
    cfg = Config.fromfile(path)
    backbone = cfg.model.backbone
    levels = len(backbone.out_strides)
    backbone.update(arch=dict(TINY), out_indices=[min(i, 2) for i in range(levels)],
                    init_cfg=None)
    if 'scorer' in backbone.tokenizer:
        backbone.tokenizer.scorer = dict(type='ConvScorer', channels=(8, 8))
    cfg.model.neck.in_channels = [TINY['embed_dims']] * levels
    if 'auxiliary_head' in cfg.model:
        cfg.model.auxiliary_head.in_channels = TINY['embed_dims']
    with DefaultScope.overwrite_default_scope(scope):  # the root registry finds mmseg /
        return cfg, MODELS.build(cfg.model)             # mmdet classes through the scope


@pytest.mark.parametrize('config, scope, rate', [
    ('seg/upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py', 'mmseg', 0.65),
    ('det/mask-rcnn_dart-s_fpn_1x_coco.py', 'mmdet', 0.7),
    ('det/retinanet_deit-s_fpn_1x_coco.py', 'mmdet', 0.7),
])
def test_fine_tuning_configs_use_layer_decay(config, scope, rate):
    cfg, model = _tiny_model_from(CONFIGS / config, scope)
    assert cfg.optim_wrapper.constructor == 'LayerDecayOptimWrapperConstructor'
    with DefaultScope.overwrite_default_scope(scope):
        groups = _groups(model, cfg.optim_wrapper)
    lr = cfg.optim_wrapper.optimizer.lr
    top = TINY['depth'] + 1
    assert groups['backbone.blocks.0.attn.qkv.weight']['lr'] == pytest.approx(
        lr * rate ** (top - 1))
    assert groups['backbone.pos_embed']['lr'] == pytest.approx(lr * rate ** top)
    assert groups['backbone.pos_embed']['weight_decay'] == 0.0
    neck = next(n for n in groups if n.startswith('neck.') and n.endswith('weight'))
    assert groups[neck]['lr'] == pytest.approx(lr)


@pytest.mark.parametrize('config', ['seg/upernet_dart_demo.py', 'det/mask-rcnn_dart-t_fpn_demo.py'])
def test_from_scratch_demos_opt_out(config):
    cfg = Config.fromfile(CONFIGS / config)
    assert cfg.optim_wrapper.constructor == 'DefaultOptimWrapperConstructor'
