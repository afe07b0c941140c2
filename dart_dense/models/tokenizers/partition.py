"""Quantile partition: importance map → row bands → token intervals (DART, Sec. 3)."""
import math

import torch
from torch import Tensor

from .layout import TokenLayout, rebin_rows


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
    cell = torch.searchsorted(cdf.detach(), levels.detach(), side='left').clamp_max(length - 1)
    cdf_before = torch.cat([cdf.new_zeros(b, 1), cdf], dim=1).gather(1, cell)
    mass = pdf.gather(1, cell)
    return cell.to(pdf.dtype) + (levels - cdf_before) / (mass + eps)


def default_num_rows(num_tokens: int, image_hw: tuple[int, int]) -> int:
    """R ≈ sqrt(N·H/W), so that tokens are square on average; 1 ≤ R ≤ N."""
    h, w = image_hw
    return int(min(max(round(math.sqrt(num_tokens * h / w)), 1), num_tokens))


def quantile_partition(importance: Tensor, image_hw: tuple[int, int], num_tokens: int,
                       num_rows: int | None = None, eps: float = 0.0) -> TokenLayout:
    """Partition images into N regions of (approximately) equal importance mass.

    1. The row marginal of the pdf gives R−1 band boundaries at its k/R quantiles.
    2. The pdf is re-binned onto the bands by row overlap (band-mean density per column),
       renormalized and flattened band-major into one strip; N−1 token boundaries sit at its
       k/N quantiles.

    Args:
        importance: (B, h, w) positive scores on a grid covering the H×W image.
        image_hw: (H, W) in pixels.
        num_tokens: N.
        num_rows: R; defaults to :func:`default_num_rows`.
        eps: the official code's guard (1e-8) in the normalization and quantile divisions.
            Positive importance needs none; with 0 a uniform map gives the exact pixel grid
            (with 1e-8 the edges move by ~1e-6 px).

    Returns:
        The :class:`TokenLayout` (edges differentiable in ``importance``).
    """
    b, gh, gw = importance.shape
    h, w = image_hw
    rows = num_rows or default_num_rows(num_tokens, image_hw)
    # Quantiles of long cumulative sums lose ~1e-5 px in float32; the partition is tiny
    # (B × grid cells), so it runs in float64 and hands float32 edges back: a uniform map then
    # lands exactly on the pixel grid.
    out_dtype = importance.dtype
    importance = importance.double()
    pdf = importance / importance.sum(dim=(1, 2), keepdim=True)

    marginal = pdf.sum(dim=2)
    marginal = marginal / (marginal.sum(dim=1, keepdim=True) + eps)
    levels = torch.arange(1, rows, device=pdf.device, dtype=pdf.dtype) / rows
    inner = quantiles(marginal, levels, eps) * (h / gh)
    row_edges = torch.cat([inner.new_zeros(b, 1), inner, inner.new_full((b, 1), float(h))], 1)

    strip = rebin_rows(pdf[:, None], row_edges, h).reshape(b, -1)  # (B, R·w) band-major
    strip = strip / strip.sum(dim=1, keepdim=True)
    levels = torch.arange(1, num_tokens, device=pdf.device, dtype=pdf.dtype) / num_tokens
    inner = quantiles(strip, levels, eps) * (w / gw)
    token_edges = torch.cat(
        [inner.new_zeros(b, 1), inner, inner.new_full((b, 1), float(rows * w))], 1)
    return TokenLayout(row_edges.to(out_dtype), token_edges.to(out_dtype), image_hw)
