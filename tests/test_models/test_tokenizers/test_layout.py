"""TokenLayout and the quantile partition: tiling, grid reduction, extremes."""
import pytest
import torch

from dart_dense.models.tokenizers import default_num_rows, quantile_partition
from dart_dense.structures import TokenLayout


def _pixel_coverage(layout: TokenLayout) -> torch.Tensor:
    """(B, H, W) how many token boxes contain each pixel centre."""
    boxes, valid = layout.token_boxes()
    h, w = layout.image_hw
    ys = torch.arange(h) + 0.5
    xs = torch.arange(w) + 0.5
    x1, y1, x2, y2 = boxes.unbind(-1)  # (B, N, K)
    cover = torch.zeros(layout.batch_size, h, w, dtype=torch.long)
    for b in range(layout.batch_size):
        in_y = (ys[:, None, None] >= y1[b]) & (ys[:, None, None] < y2[b])  # (H, N, K)
        in_x = (xs[:, None, None] >= x1[b]) & (xs[:, None, None] < x2[b])  # (W, N, K)
        both = in_y[:, None] & in_x[None] & valid[b]  # (H, W, N, K)
        cover[b] = both.flatten(2).sum(-1)
    return cover


@pytest.mark.parametrize('hw,n', [((100, 172), 37), ((64, 64), 16), ((33, 17), 2)])
def test_regions_tile_the_image(hw, n):
    torch.manual_seed(0)
    layout = quantile_partition(torch.rand(3, 6, 7) + 0.1, hw, n)
    assert layout.num_tokens == n and layout.num_rows == default_num_rows(n, hw)
    assert (layout.row_edges.diff(dim=1) > 0).all()
    assert (layout.token_edges.diff(dim=1) > 0).all()
    assert torch.allclose(layout.token_areas().sum(1), torch.full((3,), float(hw[0] * hw[1])))
    # every pixel centre lies in exactly one token region (pixels exactly on an edge
    # are avoided by the random importance)
    assert (_pixel_coverage(layout) == 1).all()


def test_uniform_importance_is_the_fixed_grid():
    layout = quantile_partition(torch.ones(2, 3, 5), (48, 80), 15, 3)
    grid = TokenLayout.grid(2, (48, 80), 16)
    assert torch.equal(layout.row_edges, grid.row_edges)
    assert torch.equal(layout.token_edges, grid.token_edges)
    assert torch.equal(layout.token_areas(), torch.full((2, 15), 256.))


def test_importance_attracts_small_regions():
    imp = torch.full((1, 8, 8), 0.1)
    imp[0, :2, :2] = 1.1  # busy top-left corner
    layout = quantile_partition(imp, (128, 128), 32)
    boxes, valid = layout.token_boxes()
    areas = layout.token_areas()[0]
    centre_x = ((boxes[0, :, 0, 0] + boxes[0, :, 0, 2]) / 2)
    centre_y = ((boxes[0, :, 0, 1] + boxes[0, :, 0, 3]) / 2)
    in_corner = (centre_x < 32) & (centre_y < 32)
    assert in_corner.any()
    assert areas[in_corner].mean() < 0.5 * areas[~in_corner].mean()


def test_extreme_budgets():
    imp = torch.rand(1, 4, 4) + 0.1
    one = quantile_partition(imp, (32, 32), 1)
    assert one.num_tokens == 1 and one.num_rows == 1
    assert torch.allclose(one.token_areas(), torch.tensor([[1024.]]))
    full = quantile_partition(imp, (32, 32), 16)
    assert torch.allclose(full.token_areas().sum(), torch.tensor(1024.))


def test_rebin_of_constant_and_of_grid():
    layout = quantile_partition(torch.rand(2, 4, 6) + 0.1, (40, 60), 12)
    const = layout.rebin(torch.full((1, 3, 5, 5), 7.0))
    assert torch.allclose(const, torch.full((2, 12, 3), 7.0))
    grid = TokenLayout.grid(1, (40, 60), 10)
    table = torch.randn(1, 3, 4, 6)
    assert torch.allclose(grid.rebin(table), table.flatten(2).transpose(1, 2), atol=1e-6)


def test_token_boxes_of_wrapping_tokens():
    # one token spanning the end of band 0 and the start of band 1
    layout = TokenLayout(torch.tensor([[0., 10., 20.]]), torch.tensor([[0., 15., 25., 40.]]),
                         (20, 20))
    boxes, valid = layout.token_boxes()
    assert valid.tolist() == [[[True, False], [True, True], [True, False]]]
    assert boxes[0, 1, 0].tolist() == [15., 0., 20., 10.]
    assert boxes[0, 1, 1].tolist() == [0., 10., 5., 20.]
    assert torch.equal(layout.token_areas(), torch.tensor([[150., 100., 150.]]))


def test_layout_rejects_bad_shapes():
    with pytest.raises(ValueError, match='row_edges'):
        TokenLayout(torch.zeros(3), torch.zeros(1, 3), (4, 4))
    with pytest.raises(ValueError, match='batch size'):
        TokenLayout(torch.zeros(2, 3), torch.zeros(1, 3), (4, 4))
