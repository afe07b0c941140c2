"""Re-binning a per-cell grid field onto row bands: overlap weights and their weighted means.

The partition re-bins the importance map and the tokenizer the positional table through the
same band weights (:meth:`dart_dense.structures.TokenLayout.band_weights` caches them).
"""
import torch
from torch import Tensor

from .constants import grid_starts


def band_weights(row_edges: Tensor, grid_h: int, image_h: int) -> Tensor:
    """(B, R, h) normalized overlap of every row band with the h rows of a grid.

    With ``G(y) = clamp(y − y_j, 0, Δ)`` the part of grid row j (``[y_j, y_j + Δ)``) above
    ``y``, band r's overlap with row j is ``G(e_{r+1}) − G(e_r)``: one subtraction and one
    clamp for all edges, then a difference. Weights are normalized per band (+1e-12, so an
    empty band gets zero weights).

    Args:
        row_edges: (B, R+1) band boundaries in pixels.
        grid_h: h, rows of the grid (each ``image_h / h`` pixels tall).
        image_h: H in pixels.
    """
    step = image_h / grid_h
    starts = grid_starts(grid_h, step, row_edges.device, row_edges.dtype)
    covered = (row_edges.unsqueeze(-1) - starts).clamp(0, step)  # (B, R+1, h)
    weights = covered[:, 1:] - covered[:, :-1]
    return weights / (weights.sum(-1, keepdim=True) + 1e-12)


def rebin_rows(cells: Tensor, weights: Tensor) -> Tensor:
    """Overlap-weighted mean of grid rows onto row bands.

    Args:
        cells: (B or 1, C, h, w) a per-cell field on a grid covering the image height.
        weights: (B, R, h) from :func:`band_weights`.

    Returns:
        (B, R, w, C), channels last: a band's cells are consecutive along the strip, the
        order re-binning onto strip intervals needs.
    """
    (b, num_rows, h), (n, c, _, w) = weights.shape, cells.shape
    rows = cells.to(weights.dtype).permute(0, 2, 3, 1)
    with torch.autocast(cells.device.type, enabled=False):  # geometry never in half precision
        if n == 1:  # a shared table: one (B·R × h) @ (h × w·C) product, never expanded
            out = torch.mm(weights.reshape(b * num_rows, h), rows.reshape(h, w * c))
        else:
            out = torch.bmm(weights, rows.reshape(n, h, w * c))
    return out.view(b, num_rows, w, c)
