"""The clip budget split: closed form = bisection, exact sums, bounds, rounding, no syncs."""
from __future__ import annotations

import pytest
import torch

from dart_dense.models.tokenizers.budget_allocation import proportional_shares, split_budget
from dart_dense.utils.op_count import count_ops
from dart_dense.utils.value_checks import check_values

T = 8


def bisection_shares(weights: torch.Tensor, total: int, lo: float, hi: float) -> torch.Tensor:
    """Reference: λ by 200 halvings of the monotone clamped sum (float64)."""
    w = weights.double()
    lam_lo = torch.zeros(w.shape[0], 1, dtype=w.dtype)
    lam_hi = hi / w.min(dim=1, keepdim=True).values
    for _ in range(200):
        lam = (lam_lo + lam_hi) / 2
        too_many = (lam * w).clamp(lo, hi).sum(dim=1, keepdim=True) > total
        lam_hi = torch.where(too_many, lam, lam_hi)
        lam_lo = torch.where(too_many, lam_lo, lam)
    return (lam_lo * w).clamp(lo, hi)


@pytest.mark.parametrize('lo, hi, total', [
    (1.0, 50.0, 97),  # no bound binds for most rows
    (1.0, 50.0, T),  # every frame at the minimum
    (1.0, 50.0, T * 50),  # every frame at capacity
    (4.0, 20.0, 100),  # both bounds bind in skewed rows
    (2.0, 16.0, 127),
])
def test_closed_form_matches_bisection(lo: float, hi: float, total: int) -> None:
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(256, T, generator=gen, dtype=torch.float64) ** 6 + 1e-3
    weights[0] = 1.0  # equal weights: every breakpoint repeated T times
    weights[1, :3] = weights[1, 3]  # ties among some frames
    shares = proportional_shares(weights, total, lo, hi)
    reference = bisection_shares(weights, total, lo, hi)
    torch.testing.assert_close(shares, reference, atol=1e-9, rtol=0)
    torch.testing.assert_close(shares.sum(dim=1), torch.full((256,), float(total),
                                                             dtype=torch.float64))
    assert shares.min() >= lo and shares.max() <= hi


def test_split_budget_is_exact_proportional_and_bounded() -> None:
    weights = torch.tensor([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0], [1.0, 100.0, 1.0]])
    budgets = split_budget(weights, total=10, capacity=6, min_tokens=2)
    assert budgets.dtype == torch.long
    # 10 * (1/4, 1/4, 1/2) = 2.5, 2.5, 5: largest remainder, ties to the earlier frame
    assert budgets[0].tolist() == [3, 2, 5]
    assert budgets[1].tolist() == [4, 3, 3]
    # frame 1 wants ~9.8 but holds at most 6; the rest is shared by the others (>= 2 each)
    assert budgets[2].tolist() == [2, 6, 2]


def test_split_budget_random_rows_sum_exactly() -> None:
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(64, T, generator=gen, dtype=torch.float64) ** 4 + 1e-3
    for total in (T, 97, 400, T * 50):
        budgets = split_budget(weights, total=total, capacity=50, min_tokens=1)
        assert (budgets.sum(dim=1) == total).all()
        assert budgets.min() >= 1 and budgets.max() <= 50


def test_split_budget_rounds_by_largest_remainder() -> None:
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(64, T, generator=gen, dtype=torch.float64) + 0.5
    ideal = weights / weights.sum(dim=1, keepdim=True) * 97  # no bound binds: 4 < ideal < 25
    budgets = split_budget(weights, total=97, capacity=50, min_tokens=1)
    assert ((budgets - ideal).abs() < 1).all()
    # each frame gets the floor of its share or one more, the ones with the largest remainders
    assert ((budgets == ideal.floor()) | (budgets == ideal.floor() + 1)).all()
    frac = ideal - ideal.floor()
    rounded_up = budgets > ideal.floor()
    lowest_up = torch.where(rounded_up, frac, torch.full_like(frac, 2.0)).min(dim=1).values
    highest_down = torch.where(rounded_up, torch.full_like(frac, -1.0), frac).max(dim=1).values
    assert (lowest_up >= highest_down).all()


def test_split_budget_reads_no_value_back() -> None:
    weights = torch.rand(4, T, dtype=torch.float64) + 0.1
    counts = count_ops(split_budget, weights, 100, 20, 2)
    assert counts.syncs == 0, counts.sync_ops
    assert counts.total < 60, counts  # a few dozen small ops, no iteration


@pytest.mark.parametrize('kwargs, message', [
    (dict(total=7), 'cannot be split'),  # below min_tokens * T
    (dict(total=8 * 17), 'cannot be split'),  # above capacity * T
    (dict(total=20, min_tokens=0), 'min_tokens'),
])
def test_split_budget_rejects_impossible_budgets(kwargs: dict, message: str) -> None:
    args = dict(weights=torch.ones(1, 8), capacity=16, min_tokens=1) | kwargs
    with pytest.raises(ValueError, match=message):
        split_budget(**args)


def test_split_budget_checks_weight_values_when_asked() -> None:
    with pytest.raises(ValueError, match=r'\(B, T\)'):
        split_budget(torch.ones(4), total=4, capacity=4)
    bad = torch.tensor([[1.0, 0.0]])
    with check_values(), pytest.raises(ValueError, match='positive and finite'):
        split_budget(bad, total=4, capacity=4)
    with check_values(), pytest.raises(ValueError, match='positive and finite'):
        split_budget(torch.tensor([[1.0, float('nan')]]), total=4, capacity=4)
