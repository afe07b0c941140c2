"""Resample every token region of an image to a fixed p×p patch.

Two separable stages, as in DART: (1) every row band is resampled vertically to ``p`` rows at
full width and the bands are laid side by side into a strip of ``p × R·W`` pixels; (2) every
token interval of the strip is resampled horizontally to ``p`` columns. Each stage is a 1-D
linear interpolation done with one row gather for all bands/tokens of the batch (no Python loop),
differentiable with respect to the image and to the band/token edges.

The fast path runs stage 2 with ``mmcv.ops.roi_align`` (CPU and CUDA kernels). It passes no
gradient to the boxes, so it is only used when the geometry needs none.
"""
from typing import Literal, Optional

import torch
from torch import Tensor

from .constants import interval_sampling, row_offsets

SampleMode = Literal['center', 'corner']


def lerp_rows(src: Tensor, pos: Tensor, zeros_outside: bool = False,
              items: Optional[Tensor] = None) -> Tensor:
    """Linear interpolation between the rows of ``src`` at fractional row positions.

    Rows are copied whole (two ``index_select`` s of D values), not element by element.

    Args:
        src: (B, L, D) rows of D values.
        pos: (B, Q) row positions (or flat (B·Q,)); clamped to ``[0, L-1]`` (border), or with
            ``zeros_outside`` to ``>= 0`` with a zero neighbour beyond row L-1 (``grid_sample``
            zeros padding, the official strip sampling).
        items: optional (S,) int64 item of ``src`` each of S flat positions reads from (any
            number per item), instead of Q positions per item.

    Returns:
        (B, Q, D), or (S, D) with ``items``; differentiable in ``src`` and ``pos``.
    """
    b, length, d = src.shape
    flat = src.reshape(b * length, d)
    pos = pos.reshape(-1) if pos.dim() != 1 else pos
    offsets = (row_offsets(b, length, pos.numel() // b, src.device) if items is None
               else items * length)
    # the lower neighbour: positions are >= 0 here, so truncation is floor; clamped as an
    # integer, so that a NaN position (NaN input) reads a valid row and yields NaN (on CUDA an
    # out-of-range index is a device-side assert, not an exception)
    if zeros_outside:
        pos = pos.clamp_min(0)
        lo = pos.long().clamp(0, length - 1)
        frac = pos - lo
        hi = (lo + 1).clamp_max(length - 1) + offsets
        lo = lo + offsets
    else:
        # lo <= L-2 so that lo+1 is a row; at pos = L-1 the weight is exactly 1
        pos = pos.clamp(0, length - 1)
        lo = pos.long().clamp(0, max(length - 2, 0))
        frac = pos - lo
        lo = lo + offsets
        hi = lo + min(1, length - 1)
    v_lo, v_hi = flat.index_select(0, lo), flat.index_select(0, hi)
    if zeros_outside:  # beyond the last row the neighbour is zero (grid_sample 'zeros')
        v_hi = v_hi * (pos < length - 1).unsqueeze(-1).to(src.dtype)
    out = torch.lerp(v_lo, v_hi, frac.unsqueeze(-1).to(src.dtype))
    return out if items is not None else out.view(b, -1, d)


def _positions(edges: Tensor, patch_size: int, antialias: int, mode: SampleMode) -> Tensor:
    """(B, K+1) interval edges → (B·K·p·a,) sample positions, interval-major.

    Sample k of interval i sits at ``e_i·(1 − f_k) + e_{i+1}·f_k + shift``: one matrix product
    of the (e_i, e_{i+1}) pairs with a constant (2, p·a) table, the shift as its bias.
    """
    weights, shift = interval_sampling(patch_size, antialias, mode == 'center', edges.device,
                                       edges.dtype)
    pairs = edges.unfold(1, 2, 1).reshape(-1, 2)  # (B·K, 2)
    with torch.autocast(edges.device.type, enabled=False):  # positions in the edges' dtype
        return torch.addmm(shift, pairs, weights).view(-1)


def _band_rows(images: Tensor, row_edges: Tensor, patch_size: int, antialias: int,
               mode: SampleMode) -> Tensor:
    """Stage 1 in row-major form: (B, C, H, W) → (B, R, p·a, C, W), band r's sampled rows."""
    b, c, h, w = images.shape
    num_rows = row_edges.shape[1] - 1
    rows = images.transpose(1, 2).reshape(b, h, c * w)  # an image row = C·W values
    ys = _positions(row_edges, patch_size, antialias, mode)
    return lerp_rows(rows, ys, zeros_outside=False).view(b, num_rows, -1, c, w)


def resample_bands(images: Tensor, row_edges: Tensor, patch_size: int, antialias: int = 1,
                   mode: SampleMode = 'center') -> Tensor:
    """Stage 1: resample each row band to ``patch_size·antialias`` rows, bands side by side.

    Args:
        images: (B, C, H, W).
        row_edges: (B, R+1) band boundaries in pixels.

    Returns:
        (B, C, p·a, R·W) the strip.
    """
    bands = _band_rows(images, row_edges, patch_size, antialias, mode)
    b, num_rows, ph, c, w = bands.shape
    return bands.permute(0, 3, 2, 1, 4).reshape(b, c, ph, num_rows * w)


def _strip_to_patches_torch(bands: Tensor, token_edges: Tensor, patch_size: int,
                            antialias: int, mode: SampleMode,
                            select: Optional[Tensor] = None) -> Tensor:
    """Stage 2 from stage 1's (B, R, p·a, C, W) rows → (B, N or S, C, p·a, p·a)."""
    b, num_rows, ph, c, w = bands.shape
    num_tokens = token_edges.shape[1] - 1
    xs = _positions(token_edges, patch_size, antialias, mode)  # (B·N·p·a,)
    items = None
    if select is not None:  # only the selected tokens' samples, each from its own image
        xs = xs.view(b * num_tokens, -1).index_select(0, select).view(-1)
        items = torch.div(select, num_tokens, rounding_mode='floor')
        items = items[:, None].expand(-1, ph).reshape(-1)
    # a strip column = the C·p·a values of one image column of one band
    cols = bands.permute(0, 1, 4, 3, 2).reshape(b, num_rows * w, c * ph)
    # official: grid_sample(padding_mode='zeros'); centre sampling clamps (border).
    patches = lerp_rows(cols, xs, zeros_outside=(mode == 'corner'), items=items)
    # (tokens·pa_x, C·pa_y) -> (tokens, C, pa_y, pa_x), tokens = (B, N) or (S,)
    tokens = (b, num_tokens) if select is None else (-1,)
    return patches.view(*tokens, ph, c, ph).movedim(-3, -1)


def _strip_to_patches_mmcv(strip: Tensor, token_edges: Tensor, patch_size: int,
                           antialias: int, mode: SampleMode,
                           select: Optional[Tensor] = None) -> Tensor:
    """Stage 2 with ``roi_align``: (B, C, p·a, R·W) strip → (B·N or S, C, p, p)."""
    from mmcv.ops import roi_align

    b, c, ph, _ = strip.shape
    num_tokens = token_edges.shape[1] - 1
    start, width = token_edges[:, :-1], token_edges[:, 1:] - token_edges[:, :-1]
    batch = torch.arange(b, device=strip.device, dtype=strip.dtype)[:, None].expand(-1, num_tokens)
    if select is not None:  # one box per selected token, in its own image
        start, width, batch = (x.reshape(-1).index_select(0, select)
                               for x in (start, width, batch))
    # roi_align(aligned=True) samples bin k, sub-sample j at x1 + (k + (j+.5)/a)·(x2-x1)/p - .5;
    # shift the box so that these are the same points as the torch path's.
    if mode == 'corner':
        x1 = start - 0.5 * width / (patch_size * antialias) + 0.5
    else:
        x1 = start
    x2 = x1 + width
    zeros, height = torch.zeros_like(x1), torch.full_like(x1, float(ph))
    rois = torch.stack([batch, x1.to(strip.dtype), zeros.to(strip.dtype),
                        x2.to(strip.dtype), height.to(strip.dtype)], dim=-1).reshape(-1, 5)
    return roi_align(strip, rois.detach(), (patch_size, patch_size), 1.0, antialias, 'avg', True)


def resample_regions(images: Tensor, row_edges: Tensor, token_edges: Tensor, patch_size: int,
                     antialias: int = 1, mode: SampleMode = 'center',
                     backend: Literal['torch', 'mmcv'] = 'torch',
                     select: Optional[Tensor] = None) -> Tensor:
    """Resample the N token regions of each image to p×p patches.

    Args:
        images: (B, C, H, W).
        row_edges: (B, R+1) band boundaries in pixels (0 … H).
        token_edges: (B, N+1) token boundaries in strip pixels (0 … R·W).
        patch_size: p, the side of the output patches.
        antialias: a ≥ 1 samples per output pixel along each axis, averaged (use for regions
            much larger than p×p).
        mode: sample placement, ``'center'`` (default) or ``'corner'`` (official DART).
        backend: ``'torch'`` (reference, differentiable in the geometry) or ``'mmcv'``
            (``roi_align`` kernels; no gradient reaches the edges).
        select: optional (S,) int64 indices into the flattened (B·N) tokens: only those are
            resampled (e.g. the real slots of frames with padded budgets), in that order.

    Returns:
        (B, N, C, p, p) patches, or (S, C, p, p) with ``select``.
    """
    if antialias < 1:
        raise ValueError(f'antialias must be >= 1, got {antialias}')
    if backend not in ('torch', 'mmcv'):
        raise ValueError(f"backend must be 'torch' or 'mmcv', got {backend!r}")
    if backend == 'mmcv':
        strip = resample_bands(images, row_edges, patch_size, antialias, mode)
        patches = _strip_to_patches_mmcv(strip, token_edges, patch_size, antialias, mode,
                                         select)  # (B·N or S, C, p, p)
        return patches if select is not None else patches.view(
            images.shape[0], -1, *patches.shape[1:])
    bands = _band_rows(images, row_edges, patch_size, antialias, mode)
    patches = _strip_to_patches_torch(bands, token_edges, patch_size, antialias, mode, select)
    if antialias > 1:
        tokens = patches.shape[:-3]
        patches = torch.nn.functional.avg_pool2d(patches.flatten(0, -4), antialias)
        patches = patches.view(*tokens, *patches.shape[1:])
    return patches
