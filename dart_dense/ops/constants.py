"""Small constant tensors of the hot path, built once per shape, device and dtype.

In eager mode every ``arange`` and the arithmetic on it is an operator launch; these tables do
not depend on the data, so they are cached (``torch.compile`` traces through the cache and
folds them into the graph). Returned tensors are shared: never modify them in place.
"""
from functools import lru_cache, wraps
from typing import Callable

import torch
from torch import Tensor


def cached_constant(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """``lru_cache`` in eager mode; under ``torch.compile`` the builder is traced directly
    (its constants become part of the graph)."""
    cached = lru_cache(maxsize=256)(fn)

    @wraps(fn)
    def get(*args):
        return fn(*args) if torch.compiler.is_compiling() else cached(*args)
    return get


@cached_constant
def grid_starts(num_cells: int, cell_size: float, device: torch.device,
                dtype: torch.dtype) -> Tensor:
    """(num_cells,) starts ``k·cell_size`` of the cells of a regular grid."""
    return torch.arange(num_cells, device=device, dtype=dtype) * cell_size


@cached_constant
def sample_fractions(size: int, antialias: int, centered: bool, device: torch.device,
                     dtype: torch.dtype) -> Tensor:
    """(size·antialias,) fractions in [0, 1) of a region where its samples sit.

    ``centered``: sample k of n at the centre of the k-th of n equal sub-intervals;
    otherwise the official DART placement (``start + length·k/size``, antialias sub-samples
    starting at each official sample point).
    """
    n = size * antialias
    k = torch.arange(n, device=device, dtype=torch.float64)
    frac = (k + 0.5) / n if centered else (k // antialias + (k % antialias) / antialias) / size
    return frac.to(dtype)


@cached_constant
def interval_sampling(size: int, antialias: int, centered: bool, device: torch.device,
                      dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """(2, size·antialias) weights of an interval's two ends for each sample, and the
    (size·antialias,) shift: sample k at ``start·(1 − f_k) + end·f_k + shift`` (see
    :func:`sample_fractions`; centred samples sit at pixel centres, integer coordinates)."""
    frac = sample_fractions(size, antialias, centered, device, dtype)
    shift = torch.full_like(frac, -0.5 if centered else 0.0)
    return torch.stack([1 - frac, frac]), shift


@cached_constant
def row_offsets(batch_size: int, rows_per_item: int, queries_per_item: int,
                device: torch.device) -> Tensor:
    """(B·Q,) int64 ``b·rows_per_item`` for the Q queries of every item b: item b's first row
    in a (B·M, ...) flattening, repeated for its queries."""
    offsets = torch.arange(batch_size, device=device) * rows_per_item
    return offsets.repeat_interleave(queries_per_item)


@cached_constant
def quantile_levels(count: int, batch_size: int, device: torch.device,
                    dtype: torch.dtype) -> Tensor:
    """(B, count−1) inner quantile levels ``k/count``, k = 1 … count−1 (contiguous, as
    ``searchsorted`` wants them)."""
    levels = torch.arange(1, count, device=device, dtype=dtype) / count
    return levels.expand(batch_size, -1).contiguous()


@cached_constant
def filled(shape: tuple[int, ...], value: float, device: torch.device,
           dtype: torch.dtype) -> Tensor:
    """A constant tensor (e.g. the fixed first/last edge of every image of a batch)."""
    return torch.full(shape, value, device=device, dtype=dtype)


@cached_constant
def band_columns(batch_size: int, num_rows: int, width: int, out_w: int, stride: int,
                 device: torch.device, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Output-column boundaries inside every band of a strip of ``num_rows`` bands of
    ``width`` pixels: (B, R·(out_w+1)) strip positions (contiguous, for ``searchsorted``), and
    (out_w, 1) the inverse widths of the output columns (the last one may be clipped)."""
    col = (torch.arange(out_w + 1, device=device, dtype=dtype) * stride).clamp_max(width)
    band_start = torch.arange(num_rows, device=device, dtype=dtype)[:, None] * width
    points = (band_start + col).reshape(1, -1).expand(batch_size, -1).contiguous()
    return points, (1.0 / (col[1:] - col[:-1]))[:, None]


@cached_constant
def output_rows(out_h: int, stride: int, height: int, device: torch.device,
                dtype: torch.dtype) -> tuple[Tensor, Tensor, Tensor]:
    """(out_h, 1) zeros, starts and heights of the rows of a ``stride``-pixel output grid over
    ``height`` pixels (the last row may be clipped)."""
    edges = (torch.arange(out_h + 1, device=device, dtype=dtype) * stride).clamp_max(height)
    starts, heights = edges[:-1, None], (edges[1:] - edges[:-1])[:, None]
    return torch.zeros_like(starts), starts.contiguous(), heights
