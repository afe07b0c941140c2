"""Per-image budgets in one batched partition (``counts``): equal to partitioning alone."""
import pytest
import torch

from dart_dense.models.tokenizers import default_num_rows, quantile_partition


@pytest.mark.parametrize('num_rows', [None, 3])
def test_counts_match_partitioning_each_image_alone(num_rows):
    torch.manual_seed(0)
    image_hw, slots = (48, 64), 24
    importance = torch.rand(4, 6, 8, dtype=torch.float64) + 0.1
    counts = torch.tensor([24, 5, 13, 1])
    batched = quantile_partition(importance, image_hw, slots, num_rows, counts=counts)
    assert batched.token_edges.shape == (4, slots + 1)
    assert batched.num_rows == (num_rows or default_num_rows(slots, image_hw))
    mask = batched.token_mask()
    assert mask.sum(1).tolist() == counts.tolist()
    for b, n in enumerate(counts.tolist()):
        alone = quantile_partition(importance[b:b + 1], image_hw, n,
                                   min(num_rows, n) if num_rows else None)
        rows = alone.num_rows
        torch.testing.assert_close(batched.row_edges[b, :rows + 1], alone.row_edges[0])
        torch.testing.assert_close(batched.token_edges[b, :n + 1], alone.token_edges[0])
        # unused bands have zero height at the bottom, unused slots zero width at the end
        assert (batched.row_edges[b, rows:] == image_hw[0]).all()
        assert (batched.token_edges[b, n:] == rows * image_hw[1]).all()


def test_counts_padding_covers_nothing_and_renders_the_same():
    torch.manual_seed(1)
    image_hw = (32, 40)
    importance = torch.rand(3, 4, 5) + 0.1
    counts = torch.tensor([3, 20, 9])
    layout = quantile_partition(importance, image_hw, 20, counts=counts)
    areas = layout.token_areas()
    torch.testing.assert_close(areas.sum(1), torch.full((3,), 32.0 * 40))
    assert (areas[~layout.token_mask()] == 0).all()
    tokens = torch.randn(3, 20, 6)
    dense = layout.to_dense(tokens, 4)
    for b, n in enumerate(counts.tolist()):
        alone = quantile_partition(importance[b:b + 1], image_hw, n)
        torch.testing.assert_close(dense[b:b + 1], alone.to_dense(tokens[b:b + 1, :n], 4),
                                   atol=1e-5, rtol=1e-5)


def test_counts_gradients_are_finite():
    importance = (torch.rand(2, 4, 4, dtype=torch.float64) + 0.1).requires_grad_()
    layout = quantile_partition(importance, (32, 32), 16, counts=torch.tensor([16, 2]))
    tokens = torch.randn(2, 16, 3, dtype=torch.float64)
    layout.to_dense(tokens, 4).square().sum().backward()
    assert torch.isfinite(importance.grad).all() and importance.grad.abs().sum() > 0
