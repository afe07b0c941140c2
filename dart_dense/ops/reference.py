"""A straightforward, loop-based transcription of the official DART tokenization.

Kept as the parity reference for tests (the vectorized ops must reproduce it) and as the
baseline of ``tools/analysis_tools/benchmark_tokenizer.py``. It follows the official numerics
step by step (square input, cell-unit partition, per-row ``grid_sample``), with Python loops
over rows and quantile levels. Not used by the models.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def _official_quantile(pdf: Tensor, q: float, eps: float = 1e-8) -> Tensor:
    """(B, L) pdf → (B,) position of quantile ``q`` in cell units (official formula)."""
    cdf = torch.cumsum(pdf, dim=1)
    out = []
    for b in range(pdf.shape[0]):
        hits = torch.nonzero(cdf[b] >= q)
        j = int(hits[0]) if len(hits) else pdf.shape[1] - 1
        before = cdf[b, j - 1] if j > 0 else cdf.new_zeros(())
        out.append(j + (q - before) / (pdf[b, j] + eps))
    return torch.stack(out)


def _rebin_rows(values: Tensor, starts: Tensor, heights: Tensor, cell: float) -> Tensor:
    """values (B, h, w, C) on rows of ``cell`` px → (B, R, w, C) by overlap-weighted mean."""
    b, h = values.shape[:2]
    out = []
    for r in range(starts.shape[1]):
        lo, hi = starts[:, r:r + 1], starts[:, r:r + 1] + heights[:, r:r + 1]
        old = torch.arange(h, dtype=values.dtype) * cell
        weight = (torch.minimum(hi, old + cell) - torch.maximum(lo, old)).clamp_min(0)
        weight = weight / (weight.sum(1, keepdim=True) + 1e-12)
        out.append(torch.einsum('bh,bhwc->bwc', weight, values))
    return torch.stack(out, dim=1)


def _interval_means(values: Tensor, edges: Tensor) -> Tensor:
    """values (B, L, C) on unit cells, edges (B, N+1) → (B, N, C) overlap-weighted means."""
    length = values.shape[1]
    cells = torch.arange(length, dtype=edges.dtype)
    a, b = edges[:, :-1, None], edges[:, 1:, None]
    weight = (torch.minimum(b, cells + 1) - torch.maximum(a, cells)).clamp_min(0)
    weight = weight / (weight.sum(-1, keepdim=True) + 1e-12)
    return torch.einsum('bnl,blc->bnc', weight, values)


def official_tokenize(images: Tensor, scores: Tensor, num_tokens: int, patch_size: int = 16,
                      pos_table: Tensor | None = None
                      ) -> tuple[Tensor, Tensor | None, Tensor, Tensor]:
    """Official DART resampling with loops.

    Args:
        images: (B, 3, S, S).
        scores: (B, g, g) positive importance (sigmoid + floor).
        num_tokens: N.
        patch_size: p.
        pos_table: optional (g, g, C) positional table.

    Returns:
        patches (B, N, 3, p, p), pos (B, N, C) or None, row edges (B, R+1) and token edges
        (B, N+1) in pixels / strip pixels.
    """
    b, _, size, _ = images.shape
    g = scores.shape[-1]
    rows = round(num_tokens ** 0.5)
    pdf = scores.flatten(1) / scores.flatten(1).sum(-1, keepdim=True)
    marginal = pdf.view(b, g, g).sum(-1)
    marginal = marginal / (marginal.sum(-1, keepdim=True) + 1e-8)
    inner = [_official_quantile(marginal, k / rows) for k in range(1, rows)]
    row_edges = torch.stack([torch.zeros(b, dtype=pdf.dtype), *inner,
                             torch.full((b,), float(g), dtype=pdf.dtype)], dim=1)
    cell = size / g
    starts, heights = row_edges[:, :-1] * cell, (row_edges[:, 1:] - row_edges[:, :-1]) * cell

    strip_pdf = _rebin_rows(pdf.view(b, g, g, 1), starts, heights, cell).reshape(b, -1)
    strip_pdf = strip_pdf / strip_pdf.sum(-1, keepdim=True)
    inner = [_official_quantile(strip_pdf, k / num_tokens) for k in range(1, num_tokens)]
    token_edges = torch.stack([torch.zeros(b, dtype=pdf.dtype), *inner,
                               torch.full((b,), float(rows * g), dtype=pdf.dtype)], dim=1)
    pos = None
    if pos_table is not None:
        pos_rows = _rebin_rows(pos_table[None].expand(b, -1, -1, -1), starts, heights, cell)
        pos = _interval_means(pos_rows.reshape(b, rows * g, -1), token_edges)

    # Stage 1: every band to p rows at full width, one grid_sample per band.
    k = torch.arange(patch_size, dtype=images.dtype)
    xs = torch.arange(size, dtype=images.dtype)
    bands = []
    for r in range(rows):
        ys = starts[:, r:r + 1] + heights[:, r:r + 1] * k / patch_size  # (B, p)
        grid = torch.stack(torch.broadcast_tensors(
            xs[None, None, :], ys[:, :, None]), dim=-1)  # (B, p, S, 2) as (x, y)
        grid = grid / (size - 1) * 2 - 1
        bands.append(F.grid_sample(images, grid, mode='bilinear', padding_mode='border',
                                   align_corners=True))
    strip = torch.cat(bands, dim=3)  # (B, 3, p, S·R)

    # Stage 2: every token interval to p columns, one grid_sample for all tokens.
    edges_px = token_edges * cell
    a, w = edges_px[:, :-1, None], (edges_px[:, 1:] - edges_px[:, :-1])[:, :, None]
    sx = (a + w * k / patch_size).reshape(b, 1, -1).expand(-1, patch_size, -1)  # (B, p, N·p)
    sy = k[None, :, None].expand(b, -1, sx.shape[2])
    length = strip.shape[3]
    grid = torch.stack([sx / (length - 1) * 2 - 1, sy / (patch_size - 1) * 2 - 1], dim=-1)
    out = F.grid_sample(strip, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    patches = out.view(b, 3, patch_size, num_tokens, patch_size).permute(0, 3, 1, 2, 4)
    return patches, pos, row_edges * cell, edges_px
