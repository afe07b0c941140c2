"""Render token features back onto a dense grid by exact area overlap (the layout's inverse)."""
import math

import torch
from torch import Tensor

from .strip import overlap_1d, strip_integral


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

    # Column boundaries of the output grid inside every band of the strip: (R, out_w+1).
    col = torch.arange(out_w + 1, device=device, dtype=dtype).mul(stride).clamp_max(w)
    band_start = torch.arange(num_rows, device=device, dtype=dtype).mul(w)
    points = (band_start[:, None] + col[None, :]).reshape(1, -1).expand(b, -1)
    cum = strip_integral(token_edges, tokens.to(dtype), points)  # (B, R·(out_w+1), C)
    cum = cum.view(b, num_rows, out_w + 1, c)
    # mean of the field over each (band, output column) segment, channels first: (B, C, R, out_w)
    per_band = (cum[:, :, 1:] - cum[:, :, :-1]) / (col[1:] - col[:-1])[:, None]
    per_band = per_band.permute(0, 3, 1, 2)

    # Vertical overlap of each output row with each band, as a fraction of the row: (B, out_h, R)
    row = torch.arange(out_h + 1, device=device, dtype=dtype).mul(stride).clamp_max(h)
    oy = overlap_1d(row[None, :-1, None], row[None, 1:, None],
                    row_edges[:, None, :-1], row_edges[:, None, 1:])
    oy = oy / (row[1:] - row[:-1])[None, :, None]
    # (B, 1, out_h, R) @ (B, C, R, out_w): the output is born in NCHW, no transpose copy.
    # Autocast would run it in half precision: the area weights stay in the edges' dtype.
    with torch.autocast(device.type, enabled=False):
        return torch.matmul(oy[:, None], per_band).to(tokens.dtype)
