"""Integrals of piecewise-constant fields along a 1-D strip.

DART lays the R row bands of an image side by side into one long strip; tokens are intervals of
that strip. Both re-binning (cells → tokens) and rendering (tokens → output cells) reduce to
integrating a piecewise-constant field over intervals, which a cumulative sum plus one gather
does exactly, with gradients for the values *and* the interval end points.
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from .constants import row_offsets


def strip_integral(edges: Tensor, values: Tensor, points: Tensor) -> Tensor:
    """Integral from ``edges[..., 0]`` to each point of a piecewise-constant field.

    Args:
        edges: (B, M+1) increasing segment boundaries; segment m is ``[edges[m], edges[m+1])``.
        values: (B, M, C) the field's value on each segment.
        points: (B, Q) where to evaluate the running integral; values outside
            ``[edges[0], edges[-1]]`` extrapolate with the first/last segment's value.

    Returns:
        (B, Q, C) ``∫_{edges[0]}^{points} field``. Continuous and piecewise linear in
        ``points`` and ``edges``, so gradients reach both.
    """
    b, m, c = values.shape
    q = points.shape[1]
    lengths = (edges[:, 1:] - edges[:, :-1]).unsqueeze(-1)  # (B, M, 1)
    cum = F.pad(torch.cumsum(values * lengths, dim=1), (0, 0, 1, 0))  # (B, M+1, C)
    # segment holding each point: the last m with edges[m] <= point (an index: no gradient)
    seg = torch.searchsorted(edges[:, 1:-1].contiguous(), points, right=True)  # (B, Q)
    start = torch.gather(edges, 1, seg)
    # whole rows of C values, one index_select each: torch.gather with an index expanded
    # over C reads element by element, several times slower on CPU for ViT widths
    seg = seg.view(-1)
    at_cum = cum.reshape(-1, c).index_select(0, seg + row_offsets(b, m + 1, q, seg.device))
    at_val = values.reshape(-1, c).index_select(0, seg + row_offsets(b, m, q, seg.device))
    out = torch.addcmul(at_cum, at_val, (points - start).view(-1, 1).to(values.dtype))
    return out.view(b, q, c)


def overlap_1d(a0: Tensor, a1: Tensor, b0: Tensor, b1: Tensor) -> Tensor:
    """Length of ``[a0, a1) ∩ [b0, b1)`` (broadcasting), zero when disjoint."""
    return (torch.minimum(a1, b1) - torch.maximum(a0, b0)).clamp_min(0)
