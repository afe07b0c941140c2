"""Render token features back onto a dense grid by exact area overlap (the layout's inverse)."""
import math

import torch
from torch import Tensor

from .constants import band_columns, output_rows
from .strip import strip_integral


def render_tokens(tokens: Tensor, row_edges: Tensor, token_edges: Tensor,
                  image_hw: tuple[int, int], stride: int) -> Tensor:
    """Area-weighted rendering of token features onto a ``stride``-pixel grid.

    Output cell (i, j) covers pixels ``[i·s, (i+1)·s) × [j·s, (j+1)·s)`` (clipped to the
    image) and receives the mean of the token field over that area: each token's weight is the
    area it shares with the cell divided by the cell's area, so the weights of every cell sum
    to 1 (the regions tile the image) and a constant token field renders to a constant map.

    The weights are never materialized: the area of token t inside cell (i, j) is
    ``Σ_r overlap_y(i, band r) · overlap_strip(t, band r ∩ column j)``, so the field is first
    integrated along the strip per (band, output column) with one cumulative sum, then mixed
    over bands with a (Hout × R) matrix product.

    Args:
        tokens: (B, N, C) token features.
        row_edges: (B, R+1) band boundaries in pixels, from 0 to H.
        token_edges: (B, N+1) token boundaries in strip pixels, from 0 to R·W.
        image_hw: (H, W) of the tiled image.
        stride: output stride in pixels (positive int).

    Returns:
        (B, C, ceil(H/stride), ceil(W/stride)).
    """
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f'stride must be a positive int, got {stride!r}')
    h, w = image_hw
    b, _, c = tokens.shape
    num_rows = row_edges.shape[1] - 1
    out_h, out_w = math.ceil(h / stride), math.ceil(w / stride)
    dtype, device = token_edges.dtype, tokens.device

    # Column boundaries of the output grid inside every band of the strip (constants)
    points, inv_width = band_columns(b, num_rows, w, out_w, stride, device, dtype)
    cum = strip_integral(token_edges, tokens.to(dtype), points)  # (B, R·(out_w+1), C)
    cum = cum.view(b, num_rows, out_w + 1, c)
    # mean of the field over each (band, output column) segment, channels first: (B, C, R, out_w)
    per_band = ((cum[:, :, 1:] - cum[:, :, :-1]) * inv_width).permute(0, 3, 1, 2)

    # Vertical overlap of each output row with each band, as a fraction of the row: with
    # G_i(y) = clamp(y − s_i, 0, h_i) the part of output row i above y, band r covers
    # G_i(e_{r+1}) − G_i(e_r) of it.
    zeros, starts, heights = output_rows(out_h, stride, h, device, dtype)  # (out_h, 1) each
    covered = torch.clamp(row_edges[:, None, :] - starts, zeros, heights)  # (B, out_h, R+1)
    oy = (covered[..., 1:] - covered[..., :-1]) / heights
    # (B, 1, out_h, R) @ (B, C, R, out_w): the output is born in NCHW, no transpose copy.
    # Autocast would run it in half precision: the area weights stay in the edges' dtype.
    with torch.autocast(device.type, enabled=False):
        return torch.matmul(oy[:, None], per_band).to(tokens.dtype)
