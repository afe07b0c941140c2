"""Structural properties that predict GPU speed: no host syncs, whole-graph compilation, few
operators, mixed precision. Checked on CPU with a TorchDispatchMode and torch.compile."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the classes)
from dart_dense.utils.op_count import count_ops

CONFIGS = Path(__file__).resolve().parents[3] / 'configs' / '_base_' / 'models'
TINY_ARCH = dict(embed_dims=32, depth=2, num_heads=2)
SCORERS = {
    'conv': dict(type='ConvScorer', channels=(8, 16)),
    'grad': dict(type='GradientEnergyScorer'),
    'mnv3': dict(type='MobileNetV3Scorer', arch='small'),
    'mnv3-trained': dict(type='MobileNetV3Scorer', arch='small', frozen=False),
}


def tiny_backbone(tokenizer: dict, **kwargs) -> torch.nn.Module:
    cfg = dict(type='DARTViT', arch=TINY_ARCH, img_size=64, patch_size=8, tokenizer=tokenizer,
               out_indices=(0, 1), out_strides=(4, 8))
    cfg.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def trained_like(model: torch.nn.Module) -> torch.nn.Module:
    """Fan-in initialized MobileNetV3 trunk: scores that vary like a trained trunk's (a random
    torchvision trunk gives near-constant scores, and the partition then follows rounding
    noise, which differs between any two implementations)."""
    scorer = model.tokenizer.scorer
    for module in scorer.features.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, mode='fan_in')
    scorer.fold_trunk()  # weights changed in place, outside load_state_dict
    return model


def dart(scorer: str, **kwargs) -> dict:
    return dict(type='DARTTokenizer', num_tokens=24, scorer=SCORERS[scorer], **kwargs)


def family_model(config: str) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Backbone and neck of one of our model bases, with a tiny ViT and 24 tokens."""
    model = Config.fromfile(CONFIGS / config).model
    backbone = dict(model.backbone, arch=TINY_ARCH, img_size=64, patch_size=8, init_cfg=None,
                    drop_path_rate=0.0)
    # two blocks: the bases' four levels come from blocks 0, 1, 1, 1 at their own strides
    backbone['out_indices'] = (0, 1, 1, 1)[-len(backbone['out_indices']):]
    backbone['tokenizer'] = dict(backbone['tokenizer'], num_tokens=None, token_ratio=0.5)
    neck = dict(model.neck, in_channels=[32] * len(model.neck.in_channels), out_channels=16)
    torch.manual_seed(0)
    backbone = MODELS.build(backbone)
    backbone.init_weights()
    if 'rcnn' in config or 'retinanet' in config:  # stock mmdet FPN
        from mmdet.registry import MODELS as TASK_MODELS
    else:
        from mmseg.registry import MODELS as TASK_MODELS
    return backbone, TASK_MODELS.build(neck)


def fwd_bwd(module, *args, **kwargs) -> None:
    outs = module(*args, **kwargs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    sum(o.float().square().mean() for o in outs).backward()


@pytest.mark.parametrize('config', ['upernet_dart.py', 'mask-rcnn_dart_fpn.py',
                                    'retinanet_dart_fpn.py'])
@pytest.mark.filterwarnings('ignore::UserWarning')  # the untrained-trunk warning
def test_config_families_train_without_host_syncs(config: str) -> None:
    backbone, neck = family_model(config)
    images = torch.randn(2, 3, 64, 80)
    # detection batches are padded: the second image is 48x56 inside the 64x80 batch
    valid_hw = torch.tensor([[64.0, 80.0], [48.0, 56.0]]) if 'fpn' in config else None
    counts = count_ops(lambda: fwd_bwd(lambda x: neck(backbone(x, valid_hw=valid_hw)), images))
    assert counts.syncs == 0, counts.sync_ops
    assert counts.total > 100  # the counter saw the forward and the backward


@pytest.mark.parametrize('tokenizer', [*SCORERS, 'grid'])
def test_every_tokenizer_and_scorer_trains_without_host_syncs(tokenizer: str) -> None:
    cfg = dict(type='GridTokenizer') if tokenizer == 'grid' else dart(tokenizer)
    model = tiny_backbone(cfg).train()
    images = torch.randn(2, 3, 64, 80)
    counts = count_ops(fwd_bwd, model, images, valid_hw=[(64, 80), (40, 64)])
    assert counts.syncs == 0, counts.sync_ops
    # the renders and intermediates of the layout itself, outside the backbone
    out = model.tokenizer(images, model.pos_table())
    tokens = out.tokens.detach().requires_grad_()
    counts = count_ops(lambda: out.layout.to_dense(tokens, 4).sum().backward())
    assert counts.syncs == 0, counts.sync_ops


def test_tokenizer_operator_budget() -> None:
    """The tokenizer after its scorer dispatches a bounded number of operators, whatever the
    budget: no operator count grows with N or R (nothing loops in Python)."""
    model = tiny_backbone(dart('grad'), img_size=128).eval()
    images = torch.randn(2, 3, 128, 128)
    totals = {1: set(), 2: set()}
    with torch.no_grad():
        for num_tokens in (16, 64, 256):
            for batch in totals:
                x = images[:batch]
                model.tokenizer(x, model.pos_table(), num_tokens=num_tokens)  # warm caches
                tok = count_ops(model.tokenizer, x, model.pos_table(), num_tokens=num_tokens)
                scorer = count_ops(model.tokenizer.scorer, x)
                totals[batch].add(tok.total - scorer.total)
    # one count per batch size (a batch of one turns two layout copies into views)
    assert all(len(counts) == 1 for counts in totals.values()), totals
    # measured 132 (275 before the rewrite); a regression shows here first
    assert max(totals[2]) <= 135


def test_frozen_trunk_folds_batch_norms_and_matches() -> None:
    torch.manual_seed(0)
    scorer = MODELS.build(SCORERS['mnv3'])
    for module in scorer.features.modules():  # non-trivial BN statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    scorer.load_state_dict(scorer.state_dict())  # loading refreshes the folded copy
    folded = scorer.folded_features
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert 'folded_features' not in dict(scorer.named_modules())
    assert not any(k.startswith('folded') for k in scorer.state_dict())
    images = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        reference = scorer.features.eval()(images)
        torch.testing.assert_close(folded(images), reference, rtol=1e-4, atol=1e-4)
    bn_ops = ('aten.native_batch_norm', 'aten._native_batch_norm_legit_no_training')
    counts = count_ops(scorer, images)
    assert not any(counts.by_name[name] for name in bn_ops)
    # trainable trunk: no folding, BatchNorm as usual
    trained = MODELS.build(SCORERS['mnv3-trained'])
    assert trained.folded_features is None
    assert any(count_ops(trained, images).by_name[name] for name in bn_ops)


@pytest.mark.parametrize('tokenizer,backend', [
    ('conv', 'inductor'), ('grad', 'aot_eager'), ('mnv3', 'aot_eager'),
    ('grid', 'aot_eager')])
@pytest.mark.filterwarnings('ignore::UserWarning')  # the untrained-trunk warning
def test_backbone_compiles_as_one_graph(tokenizer: str, backend: str) -> None:
    """``fullgraph=True``: any graph break (a host sync, a data-dependent branch) is an error.
    One variant runs through inductor's code generation, the others through aot_eager (same
    graph capture, no code generation: a minute less each on 2 cores)."""
    cfg = dict(type='GridTokenizer') if tokenizer == 'grid' else dart(tokenizer)
    model = tiny_backbone(cfg).eval()
    if tokenizer == 'mnv3':
        trained_like(model)
    images = torch.randn(2, 3, 64, 80)
    compiled = torch.compile(model, fullgraph=True, backend=backend)
    with torch.no_grad():
        expected, actual = model(images), compiled(images)
    for a, e in zip(actual, expected):
        assert (a - e).abs().max() <= 1e-4 * e.abs().max()


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_keeps_geometry_in_full_precision(dtype: torch.dtype) -> None:
    model = tiny_backbone(dart('mnv3')).train()
    images = torch.randn(2, 3, 64, 80)
    with torch.autocast('cpu', dtype=dtype):
        out = model.tokenizer(images, model.pos_table())
        logits = model.tokenizer.scorer(images)
        dense = out.layout.to_dense(out.tokens, 4)
    assert logits.dtype == torch.float32
    assert out.layout.row_edges.dtype == out.layout.token_edges.dtype == torch.float32
    assert out.scores.dtype == torch.float32
    assert torch.isfinite(dense.float()).all()
    # given the same importance, the geometry does not see the reduced precision at all
    tok = model.tokenizer
    with torch.autocast('cpu', dtype=dtype):
        low = tok.tokenize_importance(images, out.scores.detach(), 24, model.pos_table())
        low_dense = low.layout.to_dense(torch.ones_like(low.tokens), 4)
    full = tok.tokenize_importance(images, out.scores.detach(), 24, model.pos_table())
    assert torch.equal(low.layout.token_edges, full.layout.token_edges)
    assert torch.equal(low.layout.row_edges, full.layout.row_edges)
    torch.testing.assert_close(low.pos.float(), full.pos, rtol=1e-2, atol=1e-2)
    # a constant field still renders to the constant: the area weights stayed exact
    torch.testing.assert_close(low_dense.float(), torch.ones_like(low_dense.float()))


@pytest.mark.filterwarnings('ignore::UserWarning')  # the untrained-trunk warning
def test_fp16_grad_scaler_skips_no_step_with_a_trained_like_scorer() -> None:
    """fp16 AMP with GradScaler: the scorer's head runs in fp32, so nothing overflows (its fp16
    gradients overflowed in the first steps before). The frozen trunk gets a fan-in
    initialization, so its scores vary like a trained one's (a random torchvision trunk
    gives near-constant scores)."""
    model = trained_like(tiny_backbone(dart('mnv3'))).train()  # frozen, as in the configs
    images = torch.randn(2, 3, 64, 80) * 2
    with torch.no_grad():
        logits = model.tokenizer.scorer(images)
    assert (logits.std() / logits.abs().mean()) > 0.05  # the scores are not constant
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler('cpu', init_scale=2.0 ** 16, growth_interval=1000)
    scales = []
    for _ in range(3):
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast('cpu', dtype=torch.float16):
            outs = model(images)
            loss = sum(o.float().square().mean() for o in outs)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [2.0 ** 16] * 3  # a skipped step would have halved the scale
    mlp = model.tokenizer.scorer.mlp.net[0].weight
    assert mlp.grad is not None and torch.isfinite(mlp.grad).all()
