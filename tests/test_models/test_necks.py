"""Pyramid adapters feed stock heads."""
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401


def test_simple_pyramid_strides_and_extra_level():
    neck = MODELS.build(dict(type='SimplePyramid', in_channels=32, out_channels=16, num_outs=5))
    outs = neck((torch.randn(2, 32, 4, 6),))
    assert [o.shape[-2:] for o in outs] == [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]
    assert all(o.shape[:2] == (2, 16) for o in outs)


def test_token_pyramid_projects_rendered_levels():
    neck = MODELS.build(dict(type='TokenPyramid', in_channels=[32] * 4, out_channels=8))
    levels = tuple(torch.randn(1, 32, 64 // s, 64 // s) for s in (4, 8, 16, 32))
    outs = neck(levels)
    assert [o.shape for o in outs] == [(1, 8, 64 // s, 64 // s) for s in (4, 8, 16, 32)]


def test_ln2d_matches_layer_norm_over_channels():
    ln = MODELS.build(dict(type='LN2d', num_channels=6))
    x = torch.randn(2, 6, 3, 5)
    ref = torch.nn.functional.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6)
    assert torch.allclose(ln(x), ref.permute(0, 3, 1, 2), atol=1e-6)
