"""Dense rendering: partition of unity, exact areas, grid equivalence, gradients."""
import pytest
import torch

from dart_dense.models.tokenizers import quantile_partition
from dart_dense.structures import TokenLayout
from dart_dense.ops import render_tokens


@pytest.fixture
def layout():
    torch.manual_seed(0)
    return quantile_partition(torch.rand(2, 5, 9) + 0.1, (37, 70), 23)


@pytest.mark.parametrize('stride', [1, 3, 4, 8, 16])
def test_constant_field_renders_constant(layout, stride):
    dense = layout.to_dense(torch.full((2, 23, 3), 2.5), stride)
    assert dense.shape == (2, 3, -(-37 // stride), -(-70 // stride))
    assert torch.allclose(dense, torch.full_like(dense, 2.5), atol=1e-5)


def test_weights_are_exact_areas(layout):
    # rendering one-hot tokens at stride 1 gives each pixel's token weights: they sum to 1
    # per pixel, and over the image to each token's area
    eye = torch.eye(23)[None].expand(2, -1, -1).contiguous()
    weights = layout.to_dense(eye, 1)  # (B, N, H, W)
    assert torch.allclose(weights.sum(1), torch.ones(2, 37, 70), atol=1e-5)
    assert torch.allclose(weights.sum((2, 3)), layout.token_areas(), atol=1e-2)
    assert torch.allclose(layout.token_areas().sum(1), torch.full((2,), 37. * 70.))


def test_grid_layout_is_a_reshape():
    layout = TokenLayout.grid(2, (24, 40), 8)
    tokens = torch.randn(2, 15, 4)
    dense = layout.to_dense(tokens, 8)
    assert torch.allclose(dense, tokens.transpose(1, 2).reshape(2, 4, 3, 5), atol=1e-6)


def test_gradcheck_features_and_geometry():
    tokens = torch.randn(1, 4, 2, dtype=torch.float64, requires_grad=True)
    rows = torch.tensor([[0.0, 4.6, 9.0]], dtype=torch.float64)
    inner = torch.tensor([[5.3, 9.9, 14.2]], dtype=torch.float64, requires_grad=True)
    rmid = torch.tensor([[4.6]], dtype=torch.float64, requires_grad=True)

    def fn(x, mid, t):
        r = torch.cat([rows[:, :1], mid, rows[:, 2:]], 1)
        edges = torch.cat([t.new_zeros(1, 1), t, t.new_full((1, 1), 22.)], 1)
        return render_tokens(x, r, edges, (9, 11), 3)

    assert torch.autograd.gradcheck(fn, (tokens, rmid, inner), eps=1e-6, atol=1e-6)


def test_bad_stride_and_shape(layout):
    with pytest.raises(ValueError, match='stride'):
        layout.to_dense(torch.zeros(2, 23, 1), 0)
    with pytest.raises(ValueError, match='tokens must be'):
        layout.to_dense(torch.zeros(2, 22, 1), 4)
