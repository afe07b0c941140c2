"""TokenMaskTransformerHead, TokenSegformerHead and DARTViT(out_type='tokens'): shapes, exact
rendering, gradients to the scorer through the render, a training step, and mmseg's init_model /
inference_model."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.runner import Runner
from mmseg.apis import inference_model, init_model
from seg_helpers import REPO_ROOT, load_config, tiny_config
from test_train_step import build, train_one_step  # as the runner builds and trains them

from dart_dense.structures import TokenFeatures
from dart_dense.models.decode_heads import TokenMaskTransformerHead, TokenSegformerHead
from dart_dense.utils.token_recorder import TokenRecorder

SEG_DIR = REPO_ROOT / 'configs' / 'seg'
DEMO = SEG_DIR / 'segmenter_dart_demo.py'
NUM_CLASSES = 5


def tiny_backbone(scorer: dict | None = None, **kwargs) -> torch.nn.Module:
    cfg = dict(type='DARTViT', arch=dict(embed_dims=32, depth=2, num_heads=2), img_size=64,
               tokenizer=dict(type='DARTTokenizer', num_tokens=12,
                              scorer=scorer or dict(type='GradientEnergyScorer', stride=4)),
               out_indices=(0, 1), out_type='tokens')
    cfg.update(kwargs)
    backbone = ROOT_MODELS.build(cfg)
    backbone.init_weights()
    return backbone


def tiny_head(**kwargs) -> TokenMaskTransformerHead:
    cfg = dict(type='TokenMaskTransformerHead', in_channels=32, channels=32, num_layers=1,
               num_heads=2, embed_dims=16, num_classes=NUM_CLASSES, dropout_ratio=0.0)
    cfg.update(kwargs)
    head = ROOT_MODELS.build(cfg)
    head.init_weights()
    return head


def tiny_segformer_head(**kwargs) -> TokenSegformerHead:
    cfg = dict(type='TokenSegformerHead', in_channels=[32, 32], in_index=[0, 1], channels=16,
               num_classes=NUM_CLASSES, dropout_ratio=0.0,
               norm_cfg=dict(type='BN', requires_grad=True))
    cfg.update(kwargs)
    head = ROOT_MODELS.build(cfg)
    head.init_weights()
    return head


def any_head(kind: str, **kwargs) -> torch.nn.Module:
    """A tiny token head of either kind (the tests that hold for both are parametrized)."""
    return tiny_head(**kwargs) if kind == 'mask' else tiny_segformer_head(**kwargs)


def images(h: int, w: int, batch: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))


def test_backbone_token_mode_returns_tokens_and_a_live_layout() -> None:
    backbone = tiny_backbone(scorer=dict(type='ConvScorer', channels=(8, 8)))
    with TokenRecorder(backbone) as recorder:
        features = backbone(images(64, 48))
    assert len(features) == 2 and all(isinstance(f, TokenFeatures) for f in features)
    for f in features:
        assert f.tokens.shape == (2, 12, 32)
        assert f.layout.num_tokens == 12 and f.layout.image_hw == (64, 48)
    assert features[0].layout.requires_grad()  # not the detached recorded copy
    assert not recorder.last.layout.requires_grad()
    # the default mode is unchanged: NCHW maps rendered at out_strides
    maps = tiny_backbone(out_type='featmap', out_strides=(4, 8))(images(64, 48))
    assert [tuple(m.shape) for m in maps] == [(2, 32, 16, 12), (2, 32, 8, 6)]


def test_bad_options_are_refused_when_built() -> None:
    with pytest.raises(ValueError, match="out_type must be 'featmap' or 'tokens'"):
        tiny_backbone(out_type='nlc')
    with pytest.raises(ValueError, match='render_stride must be a positive int'):
        tiny_head(render_stride=0)
    with pytest.raises(ValueError, match='in_index must be an int or a sequence of ints'):
        tiny_head(in_index=[0, 1], input_transform='resize_concat')
    with pytest.raises(ValueError, match='in_channels one int'):
        tiny_head(in_index=[0, 1], in_channels=[32, 32])


def test_several_token_sets_are_concatenated() -> None:
    features = tiny_backbone()(images(64, 48))
    head = tiny_head(in_index=(0, 1), in_channels=64)
    assert head(features).shape == (2, NUM_CLASSES, 16, 12)
    with torch.no_grad():  # the projection sees block 0's channels, then block 1's
        head.dec_proj.weight[:, 32:] = 0
    single = tiny_head(in_index=0)
    single.load_state_dict({k: v[:, :32] if k == 'dec_proj.weight' else v
                            for k, v in head.state_dict().items()})
    torch.testing.assert_close(head.forward_tokens(features), single.forward_tokens(features))
    with pytest.raises(ValueError, match='in_channels=48 but the selected token sets'):
        tiny_head(in_index=(0, 1), in_channels=48)(features)


def test_head_refuses_rendered_maps_with_a_hint() -> None:
    maps = tiny_backbone(out_type='featmap')(images(64, 64))
    with pytest.raises(TypeError, match="out_type='tokens'"):
        tiny_head()(maps)


@pytest.mark.parametrize('hw', [(64, 64), (48, 80), (70, 45)], ids=str)
@pytest.mark.parametrize('stride', [4, 1])
@pytest.mark.parametrize('kind', ['mask', 'segformer'])
def test_rendered_logits_have_the_stride_shape(kind: str, hw: tuple[int, int],
                                               stride: int) -> None:
    backbone, head = tiny_backbone(), any_head(kind, render_stride=stride)
    features = backbone(images(*hw))
    logits = head(features)
    h, w = hw
    assert logits.shape == (2, NUM_CLASSES, math.ceil(h / stride), math.ceil(w / stride))
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    # the in_index'th token set is decoded (default the last): same as decoding it alone
    per_token = head.forward_tokens(features)
    assert per_token.shape == (2, 12, NUM_CLASSES)
    if kind == 'mask':
        torch.testing.assert_close(head.forward_tokens(features[-1:]), per_token)


@pytest.mark.parametrize('kind', ['mask', 'segformer'])
def test_constant_token_logits_render_to_a_constant_map(kind: str) -> None:
    """Zero gain and a per-class bias in the last layer (the mask transformer's norm, the
    SegFormer classifier): every token's logits are the same vector; the render over DART's
    uneven regions must reproduce it in every cell."""
    backbone, head = tiny_backbone(), any_head(kind, render_stride=4)
    bias = torch.linspace(-2.0, 3.0, NUM_CLASSES)
    last = head.mask_norm if kind == 'mask' else head.conv_seg
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(bias)
    features = backbone(images(52, 76))
    areas = features[-1].layout.token_areas()
    assert (areas.max(-1).values > 1.5 * areas.min(-1).values).all()  # uneven regions
    logits = head(features)
    torch.testing.assert_close(logits, bias[None, :, None, None].expand_as(logits))


def test_render_matches_each_tokens_value_inside_its_region() -> None:
    """At stride 1 a pixel deep inside a token takes exactly that token's logits."""
    backbone, head = tiny_backbone(), tiny_head(render_stride=1)
    features = backbone(images(64, 64, batch=1))
    per_token = head.forward_tokens(features)[0]  # (N, K)
    logits = head(features)[0]  # (K, H, W)
    boxes, valid = features[-1].layout.token_boxes()
    checked = 0
    for t in range(per_token.shape[0]):
        for (x1, y1, x2, y2), ok in zip(boxes[0, t].tolist(), valid[0, t].tolist()):
            if ok and x2 - x1 >= 3 and y2 - y1 >= 3:
                y, x = int((y1 + y2) / 2), int((x1 + x2) / 2)
                torch.testing.assert_close(logits[:, y, x], per_token[t])
                checked += 1
    assert checked >= 6


@pytest.mark.parametrize('kind', ['mask', 'segformer'])
def test_gradients_reach_the_scorer_through_the_render(kind: str) -> None:
    torch.manual_seed(0)
    backbone = tiny_backbone(scorer=dict(type='ConvScorer', channels=(8, 8)))
    head = any_head(kind, render_stride=4)
    backbone.train(), head.train()
    features = backbone(images(64, 64))
    # tokens cut off: only the layout's geometry (the render) links the loss to the scorer
    geometry_only = tuple(TokenFeatures(f.tokens.detach(), f.layout) for f in features)
    target = torch.randint(0, NUM_CLASSES, (2, 16, 16), generator=torch.Generator()
                           .manual_seed(1))
    loss = torch.nn.functional.cross_entropy(head(geometry_only), target)
    loss.backward()
    scorer_grads = [p.grad for p in backbone.tokenizer.scorer.parameters()
                    if p.requires_grad]
    assert scorer_grads and all(g is not None for g in scorer_grads)
    assert sum(g.abs().sum() for g in scorer_grads) > 0
    assert all(p.grad is None for p in backbone.blocks.parameters())  # tokens were detached
    assert all(p.grad is not None for p in head.parameters() if p.requires_grad)


def test_demo_config_trains_one_step_and_predicts(seg_demo_root: Path) -> None:
    cfg = tiny_config(DEMO, seg_demo_root)
    model, optim_wrapper = build(cfg)
    assert isinstance(model.decode_head, TokenMaskTransformerHead)
    assert not model.with_neck
    assert isinstance(model.auxiliary_head, TokenMaskTransformerHead)  # deep supervision
    log_vars, changed = train_one_step(model, optim_wrapper, cfg)
    assert math.isfinite(log_vars['loss'].item())
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(log_vars)
    assert any(k.startswith('backbone.blocks.') for k in changed)
    for name in ('cls_emb', 'layers.0', 'dec_proj', 'patch_proj', 'classes_proj'):
        assert any(k.startswith(f'decode_head.{name}') for k in changed), name

    model.eval()
    with torch.no_grad():
        outputs = model.test_step(next(iter(Runner.build_dataloader(cfg.val_dataloader))))
    for sample in outputs:
        assert sample.pred_sem_seg.data.shape[-2:] == sample.ori_shape
        assert sample.seg_logits.data.shape[0] == len(cfg.metainfo['classes'])


def test_init_model_and_inference_model(seg_demo_root: Path, tmp_path: Path) -> None:
    cfg = tiny_config(DEMO, seg_demo_root)
    path = tmp_path / 'tiny_segmenter_demo.py'
    cfg.dump(str(path))
    model = init_model(str(path), device='cpu')
    image = tmp_path / 'scene.jpg'
    rng = np.random.default_rng(0)
    cv2.imwrite(str(image), rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
    with TokenRecorder(model) as recorder:
        result = inference_model(model, str(image))
    assert tuple(result.pred_sem_seg.data.shape) == (1, 96, 160)
    assert recorder.last.layout.image_hw == (96, 160)
    assert recorder.last.layout.num_tokens == 16


def test_token_head_configs_are_the_documented_variants() -> None:
    n512 = load_config(SEG_DIR / 'segmenter_dart-s16-n512_8xb1-160k_ade20k-512x512.py')
    assert n512.model.backbone.out_type == 'tokens'
    assert n512.model.backbone.tokenizer.num_tokens == 512
    assert n512.model.decode_head.type == 'TokenMaskTransformerHead'
    assert n512.model.decode_head.render_stride == 4
    assert n512.model.get('neck') is None and n512.model.get('auxiliary_head') is None
    n256 = load_config(SEG_DIR / 'segmenter_dart-s16-n256_8xb1-160k_ade20k-512x512.py')
    assert n256.model.backbone.tokenizer.num_tokens == 256
    n256.model.backbone.tokenizer.num_tokens = 512
    assert n256.to_dict() == n512.to_dict()
    grid = load_config(SEG_DIR / 'segmenter_grid-s16_8xb1-160k_ade20k-512x512.py')
    assert grid.model.backbone.tokenizer == dict(type='GridTokenizer')
    grid.model.backbone.tokenizer = n512.model.backbone.tokenizer
    grid.model.backbone.init_cfg.checkpoint = n512.model.backbone.init_cfg.checkpoint
    assert grid.to_dict() == n512.to_dict()
    # the UperNet variant with mmseg's DeiT-S layout: every level at stride 16, no neck
    head16 = load_config(SEG_DIR / 'upernet_dart-s16-n512-head16_8xb2-160k_ade20k-512x512.py')
    assert head16.model.backbone.out_strides == 16 and head16.model.neck is None
    # the demo differs from the UperNet demo in the head (and what the backbone returns)
    demo, upernet_demo = load_config(DEMO), load_config(SEG_DIR / 'upernet_dart_demo.py')
    assert demo.model.backbone.tokenizer == upernet_demo.model.backbone.tokenizer
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert demo[key] == upernet_demo[key], key
    grid_demo = load_config(SEG_DIR / 'segmenter_grid_demo.py')  # the tokenizer only differs
    assert grid_demo.model.backbone.tokenizer == dict(type='GridTokenizer')
    grid_demo.model.backbone.tokenizer = demo.model.backbone.tokenizer
    assert grid_demo.to_dict() == demo.to_dict()


def test_backbone_and_head_train_without_host_syncs() -> None:
    from dart_dense.utils.op_count import count_ops

    backbone = tiny_backbone(scorer=dict(type='ConvScorer', channels=(8, 8))).train()
    head = tiny_head(in_index=(0, 1), in_channels=64).train()
    x = images(64, 80)

    def step() -> None:
        head(backbone(x)).logsumexp(1).mean().backward()

    counts = count_ops(step)
    assert counts.syncs == 0, counts.sync_ops


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_backbone_and_head_compile_as_one_graph() -> None:
    """``fullgraph=True``: a graph break (host sync, data-dependent branch) is an error."""
    backbone = tiny_backbone(scorer=dict(type='ConvScorer', channels=(8, 8))).eval()
    head = tiny_head().eval()

    def segment(x: torch.Tensor) -> torch.Tensor:
        return head(backbone(x))

    x = images(64, 80)
    compiled = torch.compile(segment, fullgraph=True, backend='aot_eager')
    with torch.no_grad():
        expected, actual = segment(x), compiled(x)
    assert (actual - expected).abs().max() <= 1e-4 * expected.abs().max()


# TokenSegformerHead: SegFormer's all-MLP decoder per token on several blocks

SEGFORMER_DEMO = SEG_DIR / 'segformer-token_dart_demo.py'


def test_segformer_head_decodes_each_token_on_its_own() -> None:
    """Per token: a token's logits depend on that token's features only (eval-mode BN), and
    every selected block contributes."""
    backbone, head = tiny_backbone(), tiny_segformer_head().eval()
    features = backbone(images(64, 48))
    per_token = head.forward_tokens(features)
    moved = tuple(TokenFeatures(f.tokens.clone(), f.layout) for f in features)
    moved[0].tokens[:, 3] += 1.0  # block 0's token 3 only
    changed = (head.forward_tokens(moved) - per_token).abs().amax(-1)  # (B, N)
    assert (changed[:, 3] > 0).all()
    assert changed[:, torch.arange(12) != 3].max() == 0


def test_segformer_head_refuses_bad_options_and_maps() -> None:
    with pytest.raises(ValueError, match='render_stride must be a positive int'):
        tiny_segformer_head(render_stride=2.0)
    maps = tiny_backbone(out_type='featmap')(images(64, 64))
    with pytest.raises(TypeError, match="TokenSegformerHead needs tokens.*out_type='tokens'"):
        tiny_segformer_head()(maps)


def test_segformer_head_trains_without_host_syncs_and_compiles_whole() -> None:
    from dart_dense.utils.op_count import count_ops

    backbone = tiny_backbone(scorer=dict(type='ConvScorer', channels=(8, 8))).train()
    head = tiny_segformer_head().train()
    x = images(64, 80)
    counts = count_ops(lambda: head(backbone(x)).logsumexp(1).mean().backward())
    assert counts.syncs == 0, counts.sync_ops
    backbone.eval(), head.eval()
    compiled = torch.compile(lambda t: head(backbone(t)), fullgraph=True, backend='aot_eager')
    with torch.no_grad():
        expected, actual = head(backbone(x)), compiled(x)
    assert (actual - expected).abs().max() <= 1e-4 * expected.abs().max()


def test_segformer_demo_trains_one_step_and_predicts(seg_demo_root: Path,
                                                     tmp_path: Path) -> None:
    cfg = tiny_config(SEGFORMER_DEMO, seg_demo_root)
    model, optim_wrapper = build(cfg)
    assert isinstance(model.decode_head, TokenSegformerHead)
    assert not model.with_neck and not model.with_auxiliary_head
    log_vars, changed = train_one_step(model, optim_wrapper, cfg)
    assert math.isfinite(log_vars['loss'].item())
    assert any(k.startswith('backbone.blocks.') for k in changed)
    for name in ('convs.0', 'convs.2', 'fusion_conv', 'conv_seg'):
        assert any(k.startswith(f'decode_head.{name}') for k in changed), name
    # mmseg's init_model + inference_model on a non-square image
    path = tmp_path / 'tiny_segformer_token_demo.py'
    cfg.dump(str(path))
    model = init_model(str(path), device='cpu')
    image = tmp_path / 'scene.jpg'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 255, (96, 160, 3),
                                                              dtype=np.uint8))
    with TokenRecorder(model) as recorder:
        result = inference_model(model, str(image))
    assert tuple(result.pred_sem_seg.data.shape) == (1, 96, 160)
    assert recorder.last.layout.image_hw == (96, 160)


def test_segformer_token_configs_are_the_documented_variants() -> None:
    dart = load_config(SEG_DIR / 'segformer-token_dart-s16-n512_8xb2-160k_ade20k-512x512.py')
    upernet = load_config(SEG_DIR / 'upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py')
    head = dart.model.decode_head
    assert head.type == 'TokenSegformerHead' and head.render_stride == 4
    assert list(head.in_index) == [0, 1, 2, 3] and len(head.in_channels) == 4
    assert dart.model.backbone.out_type == 'tokens'
    assert dart.model.neck is None and dart.model.auxiliary_head is None
    # the UperNet recipe and backbone: only the head and what the backbone returns differ
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert dart[key] == upernet[key], key
    assert dart.model.backbone.out_indices == upernet.model.backbone.out_indices
    assert dart.model.backbone.tokenizer == upernet.model.backbone.tokenizer
    grid = load_config(SEG_DIR / 'segformer-token_grid-s16_8xb2-160k_ade20k-512x512.py')
    assert grid.model.backbone.tokenizer == dict(type='GridTokenizer')
    grid.model.backbone.tokenizer = dart.model.backbone.tokenizer
    grid.model.backbone.init_cfg.checkpoint = dart.model.backbone.init_cfg.checkpoint
    assert grid.to_dict() == dart.to_dict()
    # the demo: the UperNet demo's backbone, data and recipe
    demo = load_config(SEGFORMER_DEMO)
    upernet_demo = load_config(SEG_DIR / 'upernet_dart_demo.py')
    assert demo.model.backbone.tokenizer == upernet_demo.model.backbone.tokenizer
    for key in ('train_dataloader', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'randomness'):
        assert demo[key] == upernet_demo[key], key
    grid_demo = load_config(SEG_DIR / 'segformer-token_grid_demo.py')
    assert grid_demo.model.backbone.tokenizer == dict(type='GridTokenizer')
    grid_demo.model.backbone.tokenizer = demo.model.backbone.tokenizer
    assert grid_demo.to_dict() == demo.to_dict()
