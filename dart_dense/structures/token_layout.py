"""TokenLayout: the geometry contract between partition, resampling, re-binning and rendering.

An image of H×W pixels is cut into R horizontal row bands; the bands, laid side by side, form
one strip of R·W pixels; the N tokens are consecutive intervals of that strip. A token may
cross the end of a band (it then covers the end of one band and the start of the next), so a
token's region is a union of up to a few rectangles.
"""
import math
from typing import Literal, Optional

import torch
from torch import Tensor

from dart_dense.ops.band_rebin import band_weights, rebin_rows
from dart_dense.ops.region_resample import SampleMode, lerp_rows, resample_regions
from dart_dense.ops.render import render_tokens
from dart_dense.ops.strip import overlap_1d


class TokenLayout:
    """Per-image partition of an H×W image into R row bands and N strip intervals.

    Args:
        row_edges: (B, R+1) band boundaries in pixels, increasing from 0 to H.
        token_edges: (B, N+1) token boundaries in strip pixels, increasing from 0 to R·W
            (band r occupies strip pixels ``[r·W, (r+1)·W)``).
        image_hw: (H, W) size of the tiled image in pixels.
        counts: optional (B,) tokens actually used per image when images of one batch have
            different budgets (video frames): image b's slots ``k >= counts[b]`` have zero
            width (and its unused bands zero height), so they cover nothing and render nothing.
        band_weights: optional ``{h: (B, R, h)}`` band-row weights already computed for these
            row edges (see :func:`band_weights`; the partition hands its own over).
    """

    def __init__(self, row_edges: Tensor, token_edges: Tensor, image_hw: tuple[int, int],
                 counts: Optional[Tensor] = None,
                 band_weights: Optional[dict[int, Tensor]] = None):
        if row_edges.dim() != 2 or token_edges.dim() != 2:
            raise ValueError('row_edges and token_edges must be (B, R+1) and (B, N+1), got '
                             f'{tuple(row_edges.shape)} and {tuple(token_edges.shape)}')
        if row_edges.shape[0] != token_edges.shape[0]:
            raise ValueError('row_edges and token_edges disagree on the batch size')
        self.row_edges = row_edges
        self.token_edges = token_edges
        self.image_hw = (int(image_hw[0]), int(image_hw[1]))
        self.counts = counts
        # band weights per grid height, shared by every field re-binned through this layout
        # (the importance in the partition, the positional table in the tokenizer)
        self._band_weights: dict[int, Tensor] = dict(band_weights or {})

    # ------------------------------------------------------------------ construction
    @classmethod
    def grid(cls, batch_size: int, image_hw: tuple[int, int], patch_size: int,
             device: torch.device | str | None = None,
             dtype: torch.dtype = torch.float32) -> 'TokenLayout':
        """The fixed p×p patch grid as a layout (the last band/column may be narrower)."""
        h, w = image_hw
        rows, cols = math.ceil(h / patch_size), math.ceil(w / patch_size)
        ys = torch.arange(rows + 1, device=device, dtype=dtype).mul(patch_size).clamp_max(h)
        xs = torch.arange(cols + 1, device=device, dtype=dtype).mul(patch_size).clamp_max(w)
        # token boundaries: every column edge of every band, without repeating band ends
        band = torch.arange(rows, device=device, dtype=dtype)[:, None] * w
        tok = torch.cat([(band + xs[None, :-1]).reshape(-1), xs.new_tensor([rows * w])])
        return cls(ys.expand(batch_size, -1), tok.expand(batch_size, -1), image_hw)

    # ------------------------------------------------------------------ properties
    @property
    def batch_size(self) -> int:
        return self.row_edges.shape[0]

    @property
    def num_rows(self) -> int:
        return self.row_edges.shape[1] - 1

    @property
    def num_tokens(self) -> int:
        return self.token_edges.shape[1] - 1

    def detach(self) -> 'TokenLayout':
        return TokenLayout(self.row_edges.detach(), self.token_edges.detach(), self.image_hw,
                           self.counts)

    def token_mask(self) -> Tensor:
        """(B, N) bool: which token slots hold a region (all of them without ``counts``)."""
        slots = torch.arange(self.num_tokens, device=self.token_edges.device)
        if self.counts is None:
            return slots.expand(self.batch_size, -1) >= 0
        return slots < self.counts[:, None]

    def requires_grad(self) -> bool:
        return self.row_edges.requires_grad or self.token_edges.requires_grad

    def _band_overlaps(self) -> Tensor:
        """(B, N, R): strip length of each token inside each band."""
        w = self.image_hw[1]
        band = torch.arange(self.num_rows, device=self.token_edges.device,
                            dtype=self.token_edges.dtype) * w
        a, b = self.token_edges[:, :-1, None], self.token_edges[:, 1:, None]
        return overlap_1d(a, b, band, band + w)

    # ------------------------------------------------------------------ geometry
    def token_areas(self) -> Tensor:
        """(B, N) area of every token region in pixels; sums to H·W per image."""
        heights = self.row_edges[:, 1:] - self.row_edges[:, :-1]  # (B, R)
        return torch.einsum('bnr,br->bn', self._band_overlaps(), heights)

    def token_boxes(self) -> tuple[Tensor, Tensor]:
        """Rectangles making up each token's region, in image pixels.

        Returns:
            boxes: (B, N, K, 4) ``x1, y1, x2, y2``; K is the largest number of bands a token
                spans in the batch (1 for a grid, usually 2 for DART).
            valid: (B, N, K) which of the K boxes exist.
        """
        w = self.image_hw[1]
        a, b = self.token_edges[:, :-1], self.token_edges[:, 1:]
        first = torch.div(a, w, rounding_mode='floor').long().clamp(0, self.num_rows - 1)
        last = torch.div(b, w, rounding_mode='floor').long()
        last = torch.where(b == last * w, last - 1, last).clamp(0, self.num_rows - 1)
        span = int((last - first).max().item()) + 1 if a.numel() else 1
        k = torch.arange(span, device=a.device)
        band = first[..., None] + k  # (B, N, K)
        valid = band <= last[..., None]
        band = band.clamp_max(self.num_rows - 1)
        offset = (band * w).to(a.dtype)
        x1 = torch.maximum(a[..., None], offset) - offset
        x2 = torch.minimum(b[..., None], offset + w) - offset
        y1 = torch.gather(self.row_edges, 1, band.flatten(1)).view_as(x1)
        y2 = torch.gather(self.row_edges, 1, band.flatten(1) + 1).view_as(x1)
        boxes = torch.stack([x1, y1, x2, y2], dim=-1) * valid[..., None]
        return boxes, valid

    # ------------------------------------------------------------------ cells → tokens
    def band_weights(self, grid_h: int) -> Tensor:
        """(B, R, h) band-row overlap weights for a grid of ``grid_h`` rows (computed once)."""
        if grid_h not in self._band_weights:
            self._band_weights[grid_h] = band_weights(self.row_edges, grid_h, self.image_hw[0])
        return self._band_weights[grid_h]

    def rebin_rows(self, cells: Tensor) -> Tensor:
        """(B or 1, C, h, w) per-cell field → (B, R, w, C) band means (see :func:`rebin_rows`)."""
        return rebin_rows(cells, self.band_weights(cells.shape[-2]))

    def rebin(self, cells: Tensor) -> Tensor:
        """Re-bin a per-cell field onto the tokens (rows by overlap, then strip intervals).

        Used for the importance pdf and the positional table. As in DART, a token's value is
        the strip-length-weighted mean of the band cells its interval covers.

        The band cells have equal lengths along the strip, so the running integral of the
        field is the cumulative sum of the cells linearly interpolated (in cell units): a
        token's mean is the difference of that interpolant at its two ends over its length.

        Args:
            cells: (B or 1, C, h, w) a per-cell field on a grid covering the image.

        Returns:
            (B, N, C).
        """
        bands = self.rebin_rows(cells)  # (B, R, w, C)
        b, _, w_cells, c = bands.shape
        cum = torch.nn.functional.pad(bands.view(b, -1, c).cumsum(1), (0, 0, 1, 0))
        ends = self.token_edges * (w_cells / self.image_hw[1])  # strip cell units
        integral = lerp_rows(cum, ends)  # (B, N+1, C)
        lengths = (ends[:, 1:] - ends[:, :-1]).add_(1e-12).unsqueeze(-1)
        return (integral[:, 1:] - integral[:, :-1]) / lengths

    # ------------------------------------------------------------------ image ↔ tokens
    def resample(self, images: Tensor, patch_size: int, antialias: int = 1,
                 mode: SampleMode = 'center', backend: Literal['torch', 'mmcv'] = 'torch',
                 select: Optional[Tensor] = None) -> Tensor:
        """(B, C, H, W) images → (B, N, C, p, p) patches, one per token region; with
        ``select`` ((S,) indices into the flattened B·N tokens) only those, (S, C, p, p)."""
        return resample_regions(images, self.row_edges, self.token_edges, patch_size,
                                antialias, mode, backend, select)

    def to_dense(self, tokens: Tensor, stride: int) -> Tensor:
        """Render (B, N, C) tokens to (B, C, ceil(H/stride), ceil(W/stride)) by area overlap."""
        if tokens.dim() != 3 or tokens.shape[:2] != (self.batch_size, self.num_tokens):
            raise ValueError(f'tokens must be (B={self.batch_size}, N={self.num_tokens}, C), '
                             f'got {tuple(tokens.shape)}')
        return render_tokens(tokens, self.row_edges, self.token_edges, self.image_hw, stride)

    def __repr__(self) -> str:
        return (f'TokenLayout(batch={self.batch_size}, rows={self.num_rows}, '
                f'tokens={self.num_tokens}, image_hw={self.image_hw})')
