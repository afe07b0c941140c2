"""DARTTokenizer / GridTokenizer: interface, grid equivalence, batch independence, errors."""
import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the classes)
from dart_dense.models.tokenizers import DARTTokenizer, GridTokenizer
from dart_dense.utils.value_checks import check_values


def _dart(**kwargs) -> DARTTokenizer:
    cfg = dict(type='DARTTokenizer', in_channels=3, embed_dims=8, patch_size=8,
               scorer=dict(type='ConvScorer', channels=(4, 8)))
    cfg.update(kwargs)
    return MODELS.build(cfg)


class _ConstantScorer(torch.nn.Module):
    def forward(self, images):
        return images.new_zeros(images.shape[0], 1, 2, 2)


def test_uniform_scores_reproduce_grid_tokenizer():
    torch.manual_seed(0)
    dart = _dart(num_tokens=12, num_rows=3)
    dart.scorer = _ConstantScorer()
    grid = MODELS.build(dict(type='GridTokenizer', in_channels=3, embed_dims=8, patch_size=8))
    grid.proj.load_state_dict(dart.proj.state_dict())
    images = torch.randn(2, 3, 24, 32)
    table = torch.randn(1, 8, 3, 4)
    out_d, out_g = dart(images, table), grid(images, table)
    assert torch.allclose(out_d.tokens, out_g.tokens, atol=1e-5)
    assert torch.allclose(out_d.pos, out_g.pos, atol=1e-6)
    assert torch.allclose(out_d.layout.to_dense(out_d.tokens, 8),
                          out_g.layout.to_dense(out_g.tokens, 8), atol=1e-5)
    # the grid's dense map at stride p is the conv feature map itself
    assert torch.allclose(out_g.layout.to_dense(out_g.tokens, 8),
                          grid.proj(images), atol=1e-5)


def test_output_fields_and_budget_knob():
    tok = _dart(num_tokens=20)
    images = torch.randn(2, 3, 40, 64)
    out = tok(images, torch.randn(1, 8, 5, 8))
    assert out.tokens.shape == (2, 20, 8) and out.pos.shape == (2, 20, 8)
    assert out.scores.shape == (2, 5, 8) and (out.scores >= 0.1).all()
    assert tok(images, num_tokens=7).tokens.shape == (2, 7, 8)  # no rebuild needed
    ratio = _dart(token_ratio=0.5)
    assert ratio(images).tokens.shape == (2, 20, 8)  # half of the 5x8 grid


def test_tokens_do_not_depend_on_batch_mates():
    torch.manual_seed(0)
    tok = _dart(num_tokens=10).eval()  # eval: BN statistics are fixed
    images = torch.randn(3, 3, 32, 40)
    with torch.no_grad():
        batch = tok(images)
        alone = tok(images[1:2])
    assert torch.allclose(batch.tokens[1:2], alone.tokens, atol=1e-5)
    assert torch.allclose(batch.layout.token_edges[1:2], alone.layout.token_edges, atol=1e-4)


def test_official_mode_standardizes_over_the_batch():
    torch.manual_seed(0)
    tok = _dart(num_tokens=10, official=True).eval()
    assert tok.standardize == 'batch' and tok.sample_mode == 'corner'
    images = torch.randn(3, 3, 32, 40)
    with torch.no_grad():
        batch, alone = tok(images), tok(images[1:2])
    assert not torch.allclose(batch.layout.token_edges[1:2], alone.layout.token_edges)


def test_training_step_updates_scorer_through_geometry():
    torch.manual_seed(0)
    tok = _dart(num_tokens=12)
    opt = torch.optim.SGD(tok.parameters(), lr=0.1)
    before = [p.detach().clone() for p in tok.scorer.parameters()]
    out = tok(torch.randn(2, 3, 32, 32), torch.randn(1, 8, 4, 4))
    loss = out.layout.to_dense(out.tokens + out.pos, 8).square().mean()
    loss.backward()
    assert tok.scorer.head.weight.grad.abs().sum() > 0
    opt.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, tok.scorer.parameters()))


def _share_of_budget_in(layout, x_from: float) -> torch.Tensor:
    """(B,) tokens spent right of ``x_from``, each token counted by its area fraction there."""
    boxes, valid = layout.token_boxes()
    x1, y1, x2, y2 = boxes.unbind(-1)
    inside = ((x2 - x1.clamp_min(x_from)).clamp_min(0) * (y2 - y1) * valid).sum(-1)
    return (inside / layout.token_areas()).sum(1)


def test_padding_gets_floor_importance_and_few_tokens():
    torch.manual_seed(0)
    tok = _dart(num_tokens=32, scorer=dict(type='GradientEnergyScorer', stride=4))
    images = torch.zeros(2, 3, 64, 64)
    images[:, :, 16:48, 8:24] = torch.randn(2, 3, 32, 16)  # some texture in the valid half
    images[:, :, :, 32:] = 3 * torch.randn(2, 3, 64, 32)  # busier junk in the padded half
    unaware = tok(images)
    aware = tok(images, valid_hw=torch.tensor([[64, 32], [64, 32]]))
    padded = aware.scores[:, :, 4:]  # 8x8 grid, columns 4.. lie in the padding
    assert torch.allclose(padded, torch.full_like(padded, 0.1))
    assert (_share_of_budget_in(unaware.layout, 32) > 0.5 * 32).all()
    assert (_share_of_budget_in(aware.layout, 32) < 0.25 * 32).all()


@pytest.mark.parametrize('hw', [(100, 172), (16, 16), (17, 250)])
def test_odd_sizes_and_batch_of_one(hw):
    tok = _dart()
    out = tok(torch.randn(1, 3, *hw))
    assert out.tokens.shape[0] == 1
    assert torch.allclose(out.layout.token_areas().sum(), torch.tensor(float(hw[0] * hw[1])))
    dense = out.layout.to_dense(out.tokens, 4)
    assert dense.shape == (1, 8, -(-hw[0] // 4), -(-hw[1] // 4))


def test_fast_path_used_only_without_geometry_gradient(monkeypatch):
    pytest.importorskip('mmcv.ops')
    calls = []
    import dart_dense.structures.token_layout as layout_mod
    real = layout_mod.resample_regions

    def spy(images, row_edges, token_edges, patch_size, antialias, mode, backend, select):
        calls.append(backend)
        return real(images, row_edges, token_edges, patch_size, antialias, mode, backend,
                    select)

    monkeypatch.setattr(layout_mod, 'resample_regions', spy)
    tok = _dart(num_tokens=8, fast_path=True)  # 'auto' (default) uses mmcv on CUDA only
    images = torch.randn(1, 3, 32, 32)
    tok(images)
    with torch.no_grad():
        tok(images)
    assert calls == ['torch', 'mmcv']


@pytest.mark.parametrize('kwargs,images,exc,match', [
    ({}, torch.zeros(1, 4, 32, 32), ValueError, 'in_channels=3'),
    ({}, torch.zeros(1, 3, 4, 32), ValueError, 'smaller than one patch'),
    ({}, torch.zeros(3, 32, 32), ValueError, r'\(B, C, H, W\)'),
    ({}, torch.zeros(1, 3, 32, 32, dtype=torch.uint8), TypeError, 'floating point'),
    ({'num_tokens': 17}, torch.zeros(1, 3, 32, 32), ValueError, 'at most 16'),
])
def test_bad_images_and_budgets(kwargs, images, exc, match):
    with pytest.raises(exc, match=match):
        _dart(**kwargs)(images)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match='num_tokens'):
        _dart(num_tokens=0)
    with pytest.raises(ValueError, match='not both'):
        _dart(num_tokens=4, token_ratio=0.5)
    with pytest.raises(ValueError, match='token_ratio'):
        _dart(token_ratio=1.5)
    with pytest.raises(ValueError, match='standardize'):
        _dart(standardize='global')


def test_bad_call_arguments():
    tok = _dart()
    images = torch.zeros(2, 3, 32, 32)
    with pytest.raises(ValueError, match='num_tokens'):
        tok(images, num_tokens=0)
    with pytest.raises(ValueError, match='valid_hw must have shape'):
        tok(images, valid_hw=torch.tensor([[32, 32]]))
    with pytest.raises(TypeError, match='valid_hw'):
        tok(images, valid_hw='32x32')
    with pytest.raises(TypeError, match='valid_hw'):
        tok(images, valid_hw=torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match='valid_hw entries'):
        tok(images, valid_hw=[(33, 32), (32, 32)])
    with pytest.raises(ValueError, match='pos_embed'):
        tok(images, pos_embed=torch.zeros(1, 5, 4, 4))
    # checks that read tensor values are opt-in (they would sync the device every step)
    nan_images = images.clone()
    nan_images[0, 0, 0, 0] = float('nan')
    assert torch.isnan(tok(nan_images).tokens).any()  # propagated, no indexing error
    with check_values(), pytest.raises(ValueError, match='non-finite'):
        assert torch.isnan(tok(nan_images).tokens).any()  # propagated, no indexing error
    with check_values(), pytest.raises(ValueError, match='valid_hw entries'):
        tok(images, valid_hw=torch.tensor([[33, 32], [32, 32]]))


def test_grid_tokenizer_pads_and_rejects_budget_change():
    grid = GridTokenizer(in_channels=3, embed_dims=4, patch_size=8)
    out = grid(torch.randn(1, 3, 20, 30))
    assert out.tokens.shape == (1, 12, 4)
    assert torch.allclose(out.layout.token_areas().sum(), torch.tensor(600.))
    with pytest.raises(ValueError, match='DARTTokenizer'):
        grid(torch.randn(1, 3, 20, 30), num_tokens=6)
