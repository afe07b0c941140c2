"""Integer token budgets per frame from frame weights: proportional, bounded, exact in sum.

The real shares are ``clamp(λ·w_t, lo, hi)`` with the one λ that makes them sum to the clip
budget. Their sum ``S(λ) = Σ_t clamp(λ·w_t, lo, hi)`` is continuous, non-decreasing and
piecewise linear in λ, with breakpoints ``lo/w_t`` and ``hi/w_t``: evaluating ``S`` at all 2T
breakpoints at once and solving the linear piece that holds the budget gives λ in closed form,
a handful of small batched operations without a host sync or an iteration count. Shares then
become integers by largest-remainder rounding.
"""
import torch
from torch import Tensor

from dart_dense.utils.value_checks import value_checks_enabled


def _check_split(weights: Tensor, total: int, capacity: int, min_tokens: int) -> None:
    """Shape and argument checks (no tensor values: they would sync with the device)."""
    if weights.dim() != 2 or weights.shape[1] < 1:
        raise ValueError(f'weights must be (B, T) with T >= 1, got {tuple(weights.shape)}')
    if not 1 <= min_tokens <= capacity:
        raise ValueError(f'need 1 <= min_tokens <= capacity, got min_tokens={min_tokens}, '
                         f'capacity={capacity}')
    num_frames = weights.shape[1]
    if not min_tokens * num_frames <= total <= capacity * num_frames:
        raise ValueError(
            f'a clip budget of {total} tokens cannot be split over {num_frames} frames with '
            f'{min_tokens} to {capacity} tokens each (need {min_tokens * num_frames} to '
            f'{capacity * num_frames})')


def proportional_shares(weights: Tensor, total: int, lo: float, hi: float) -> Tensor:
    """Real shares ``clamp(λ·w, lo, hi)`` summing to ``total``, λ solved in closed form.

    Args:
        weights: (B, T) positive weights (float64 recommended).
        total: the sum every row must reach, ``T·lo <= total <= T·hi``.
        lo, hi: bounds of a share.

    Returns:
        (B, T) shares in ``[lo, hi]`` (same dtype as ``weights``).
    """
    # breakpoints of S(λ), sorted per row: (B, 2T)
    points = torch.sort(torch.cat([lo / weights, hi / weights], dim=1), dim=1).values
    sums = (points[:, :, None] * weights[:, None, :]).clamp(lo, hi).sum(dim=2)  # S at each
    # first breakpoint where S reaches the total (S at the last one is T·hi >= total)
    total_t = torch.full_like(sums[:, :1], float(total))
    k = torch.searchsorted(sums, total_t).clamp(0, points.shape[1] - 1)
    k0 = (k - 1).clamp_min(0)
    x0, x1 = points.gather(1, k0), points.gather(1, k)
    s0, s1 = sums.gather(1, k0), sums.gather(1, k)
    # S is linear on [x0, x1]; k = 0 means S(x1) = T·lo = total already (every share at lo)
    rise = s1 - s0
    lam = torch.where(rise > 0, x0 + (total_t - s0) * (x1 - x0) / rise.clamp_min(1e-300), x1)
    return (lam * weights).clamp(lo, hi)


def largest_remainder(shares: Tensor, total: int, hi: float) -> Tensor:
    """Round (B, T) real shares summing to ``total`` to integers with the same sum.

    Every share is rounded down, then the ``total − Σ floor`` shares with the largest
    fractional parts (ties to the earlier frame; shares already at ``hi`` never) get one more.
    """
    num_frames = shares.shape[1]
    base = shares.floor()
    missing = total - base.sum(dim=1, keepdim=True)  # (B, 1), in [0, T] up to rounding
    frac = torch.where(base < hi, shares - base, torch.full_like(shares, -1.0))
    order = torch.sort(-frac, dim=1, stable=True).indices
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(
        num_frames, device=shares.device).expand_as(order).contiguous())
    return (base + (rank < missing).to(base.dtype)).long()


def split_budget(weights: Tensor, total: int, capacity: int, min_tokens: int = 1) -> Tensor:
    """Integer per-frame budgets proportional to ``weights`` that sum exactly to ``total``.

    Real shares ``clamp(λ·w_t, min_tokens, capacity)`` with λ in closed form
    (:func:`proportional_shares`, float64), then largest-remainder rounding (ties go to the
    earlier frame). Runs on the weights' device without reading any value back.

    Args:
        weights: (B, T) positive, finite frame weights.
        total: clip budget N; ``min_tokens·T <= N <= capacity·T``.
        capacity: most tokens one frame can hold.
        min_tokens: fewest tokens a frame gets (>= 1).

    Shapes and bounds are always checked; that the weights are positive and finite and that
    every row sums to ``total`` only with :mod:`dart_dense.utils.value_checks` on (reading
    values syncs with the device).

    Returns:
        (B, T) int64 budgets, each in ``[min_tokens, capacity]``, every row summing to ``total``.
    """
    _check_split(weights, total, capacity, min_tokens)
    check_values = value_checks_enabled()
    w = weights.detach().double()
    if check_values and (not torch.isfinite(w).all() or (w <= 0).any()):
        raise ValueError('weights must be positive and finite')
    shares = proportional_shares(w, total, float(min_tokens), float(capacity))
    budgets = largest_remainder(shares, total, float(capacity))
    if check_values and ((budgets.sum(dim=1) != total).any() or (budgets < min_tokens).any()
                         or (budgets > capacity).any()):
        raise RuntimeError(f'budget split failed: {budgets.tolist()} for total={total}')
    return budgets
