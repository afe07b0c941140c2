"""Quantile partition: importance map → row bands → token intervals (DART, Sec. 3)."""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from dart_dense.ops.constants import filled, quantile_levels
from dart_dense.ops.band_rebin import band_weights
from dart_dense.structures import TokenLayout


def quantiles(pdf: Tensor, levels: Tensor, eps: float = 1e-8) -> Tensor:
    """Quantiles of a piecewise-uniform density on unit cells.

    Args:
        pdf: (B, L) non-negative cell masses summing to 1.
        levels: (K,) or (B, K) quantile levels in [0, 1].
        eps: added to the cell mass in the division (the official constant).

    Returns:
        (B, K) positions in cell units: for the first cell j whose cumulative mass reaches q,
        ``j + (q − cdf[j−1]) / pdf[j]``. Differentiable in ``pdf``.
    """
    b, length = pdf.shape
    cdf = torch.cumsum(pdf, dim=1)
    levels = levels.expand(b, -1).contiguous() if levels.dim() == 1 else levels
    # searchsorted returns indices (no gradient flows into it: no detach needed)
    cell = torch.searchsorted(cdf, levels, side='left').clamp_max(length - 1)
    cdf_before = F.pad(cdf, (1, 0)).gather(1, cell)
    mass = pdf.gather(1, cell)
    if eps:
        mass = mass + eps
    return cell + (levels - cdf_before) / mass


def default_num_rows(num_tokens: int, image_hw: tuple[int, int]) -> int:
    """R ≈ sqrt(N·H/W), so that tokens are square on average; 1 ≤ R ≤ N."""
    h, w = image_hw
    return int(min(max(round(math.sqrt(num_tokens * h / w)), 1), num_tokens))


def _levels(slots: int, count: Optional[Tensor], batch_size: int, dtype: torch.dtype,
            device: torch.device) -> tuple[Tensor, Optional[Tensor]]:
    """(B, slots−1) inner quantile levels k/n (k = 1 … slots−1) for one count n = slots or
    per-image counts.

    With per-image counts it also returns the (B, slots−1) mask of the levels that exist
    (k < n); the others get the harmless level 1/2, so that no NaN is computed (and
    back-propagated) for slots that are padding.
    """
    if count is None:
        return quantile_levels(slots, batch_size, device, dtype), None
    k = torch.arange(1, slots, device=device, dtype=dtype)
    n = count.to(dtype)[:, None]
    real = k < n
    return torch.where(real, k / n, 0.5), real


def quantile_partition(importance: Tensor, image_hw: tuple[int, int], num_tokens: int,
                       num_rows: Optional[int] = None, eps: float = 0.0,
                       counts: Optional[Tensor] = None) -> TokenLayout:
    """Partition images into N regions of (approximately) equal importance mass.

    1. The row marginal of the pdf gives R−1 band boundaries at its k/R quantiles.
    2. The pdf is re-binned onto the bands by row overlap (band-mean density per column),
       renormalized and flattened band-major into one strip; N−1 token boundaries sit at its
       k/N quantiles.

    Args:
        importance: (B, h, w) positive scores on a grid covering the H×W image.
        image_hw: (H, W) in pixels.
        num_tokens: N, the token slots of every image.
        num_rows: R; defaults to :func:`default_num_rows`.
        eps: the official code's guard (1e-8) in the normalization and quantile divisions.
            Positive importance needs none; with 0 a uniform map gives the exact pixel grid
            (with 1e-8 the edges move by ~1e-6 px).
        counts: optional (B,) integer budgets in ``[1, N]`` (not checked by value: that would
            sync with the device), one per image, for batches whose images get different
            budgets (video frames). Image b then uses its first ``counts[b]`` slots, exactly as
            if it were partitioned alone with N = counts[b]: ``R_b`` bands (the default rows for
            its count, or ``min(num_rows, counts[b])``) followed by zero-height bands at the
            bottom, and zero-width slots at the end of its last band.

    Returns:
        The :class:`TokenLayout` (edges differentiable in ``importance``); with ``counts`` it
        carries them (``layout.counts``, ``layout.token_mask()``).
    """
    b, gh, gw = importance.shape
    h, w = image_hw
    rows = num_rows or default_num_rows(num_tokens, image_hw)
    # Quantiles of long cumulative sums lose ~1e-5 px in float32; the partition is tiny
    # (B × grid cells), so it runs in float64 and hands float32 edges back: a uniform map then
    # lands exactly on the pixel grid.
    out_dtype, dtype, device = importance.dtype, torch.float64, importance.device
    importance = importance.to(dtype)
    if counts is None:
        band_count = None
    elif num_rows:
        band_count = counts.clamp_max(num_rows)
    else:  # default_num_rows per image, on the device (round half to even, as Python's round)
        band_count = torch.sqrt(counts.to(dtype) * h / w).round().clamp_min(1)
        band_count = torch.minimum(band_count, counts.to(dtype)).clamp_max(rows)

    pdf = importance / importance.sum(dim=(1, 2), keepdim=True)
    marginal = pdf.sum(dim=2)
    if eps:  # the official renormalization (a no-op up to rounding without its guard)
        marginal = marginal / (marginal.sum(dim=1, keepdim=True) + eps)
    levels, real = _levels(rows, band_count, b, dtype, device)
    inner = quantiles(marginal, levels, eps) * (h / gh)
    if real is not None:  # bands beyond an image's count: zero height at the bottom
        inner = torch.where(real, inner, float(h))
    row_edges = torch.cat([filled((b, 1), 0.0, device, dtype), inner,
                           filled((b, 1), float(h), device, dtype)], 1)

    weights = band_weights(row_edges, gh, h)  # (B, R, h)
    strip = torch.bmm(weights, pdf).view(b, -1)  # (B, R·w) band-major band-mean density
    strip = strip / strip.sum(dim=1, keepdim=True)
    levels, real = _levels(num_tokens, counts, b, dtype, device)
    inner = quantiles(strip, levels, eps) * (w / gw)
    if real is None:
        end = filled((b, 1), float(rows * w), device, dtype)
    else:  # slots beyond an image's count: zero width at the end of its last band
        end = band_count[:, None] * w
        inner = torch.where(real, inner, end)
    token_edges = torch.cat([filled((b, 1), 0.0, device, dtype), inner, end], 1)
    return TokenLayout(row_edges.to(out_dtype), token_edges.to(out_dtype), image_hw,
                       counts=counts, band_weights={gh: weights.to(out_dtype)})
