"""From scorer logits to positive importance on the partition grid (padding-aware)."""
from typing import Literal, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from dart_dense.utils.value_checks import value_checks_enabled

Standardize = Literal['image', 'batch']
ValidHW = Union[Tensor, Sequence[Sequence[int]]]


def check_valid_hw(valid_hw: Optional[ValidHW], batch_size: int,
                   image_hw: tuple[int, int], device: torch.device) -> Optional[Tensor]:
    """Validate per-sample valid (unpadded) sizes; returns a (B, 2) float tensor or None.

    Sizes given as Python numbers are checked by value; a tensor's values are checked only
    when :mod:`dart_dense.utils.value_checks` are on (reading them would sync the device).
    """
    if valid_hw is None:
        return None
    h, w = image_hw
    message = f'valid_hw entries must lie in [1, H={h}] x [1, W={w}]'
    if isinstance(valid_hw, Tensor):
        if valid_hw.dtype == torch.bool or valid_hw.is_complex():
            raise TypeError(f'valid_hw must hold pixel sizes (int or float), got {valid_hw.dtype}')
        sizes = valid_hw.detach().to(device=device, dtype=torch.float32)
    elif isinstance(valid_hw, (list, tuple)):
        try:
            pairs = [(float(vh), float(vw)) for vh, vw in valid_hw]
        except (TypeError, ValueError) as err:
            raise TypeError('valid_hw must be a (B, 2) tensor or a sequence of (h, w) pairs, '
                            f'got {valid_hw!r}') from err
        if not all(1 <= vh <= h and 1 <= vw <= w for vh, vw in pairs):
            raise ValueError(f'{message}, got {pairs}')
        sizes = torch.tensor(pairs, device=device).reshape(-1, 2)
    else:
        raise TypeError('valid_hw must be a (B, 2) tensor or a sequence of (h, w) pairs, '
                        f'got {type(valid_hw).__name__}')
    if sizes.shape != (batch_size, 2):
        raise ValueError(f'valid_hw must have shape (B={batch_size}, 2), got {tuple(sizes.shape)}')
    if value_checks_enabled() and not (
            torch.isfinite(sizes).all() and (sizes >= 1).all()
            and (sizes <= sizes.new_tensor([h, w])).all()):
        raise ValueError(f'{message}, got {sizes.tolist()}')
    return sizes


def valid_fraction(valid_hw: Tensor, grid_hw: tuple[int, int],
                   image_hw: tuple[int, int]) -> Tensor:
    """(B, h, w) fraction of every grid cell inside the valid (top-left) part of the image."""
    gh, gw = grid_hw
    h, w = image_hw
    ys = torch.arange(gh, device=valid_hw.device, dtype=valid_hw.dtype) * (h / gh)
    xs = torch.arange(gw, device=valid_hw.device, dtype=valid_hw.dtype) * (w / gw)
    fy = ((valid_hw[:, :1] - ys) / (h / gh)).clamp(0, 1)  # (B, gh)
    fx = ((valid_hw[:, 1:] - xs) / (w / gw)).clamp(0, 1)  # (B, gw)
    return fy[:, :, None] * fx[:, None, :]


def importance_from_logits(logits: Tensor, grid_hw: tuple[int, int],
                           image_hw: tuple[int, int], valid_hw: Optional[Tensor] = None,
                           standardize: Standardize = 'image', floor: float = 0.1,
                           sharpness: float = 1.0) -> Tensor:
    """Scorer logits → importance ``sigmoid(sharpness · standardized logits) + floor`` on
    the grid.

    Args:
        logits: (B, 1, h', w') raw scores at any resolution.
        grid_hw: (h, w) partition grid; logits are resized to it (bilinear, as official).
        image_hw: (H, W) of the (padded) image the grid covers.
        valid_hw: optional (B, 2) valid sizes; padded cells get exactly ``floor`` and do not
            enter the standardization statistics (a cell partly padded is mixed by its valid
            fraction).
        standardize: ``'image'`` — per-image statistics (an image's tokens never depend on its
            batch mates); ``'batch'`` — one mean/std over the whole batch tensor (official).
        floor: minimum importance; bounds how large a region can grow.
        sharpness: β > 0 scales the z-scores before the sigmoid. The z-scores have unit
            variance whatever the scorer, so with β = 1 (official) the busiest cells get at
            most ~2× the density of a typical background; β > 1 widens that contrast.

    Returns:
        (B, h, w) positive importance.
    """
    if not sharpness > 0:  # a Python number: no device read
        raise ValueError(f'sharpness must be a number > 0, got {sharpness!r}')
    if value_checks_enabled() and not torch.isfinite(logits).all():
        raise ValueError('the scorer produced non-finite scores (NaN or Inf); check the input '
                         'images and the scorer weights')
    x = F.interpolate(logits, size=grid_hw, mode='bilinear', align_corners=False)[:, 0]
    if standardize == 'batch':
        # unbiased std; clamped so that a constant map has a finite (zero) gradient
        x = (x - x.mean()) / (x.var().clamp_min(1e-12).sqrt() + 1e-8)
        frac = None if valid_hw is None else valid_fraction(valid_hw, grid_hw, image_hw)
    elif standardize == 'image' and valid_hw is None:
        # unbiased, as below (a 1-cell grid: its one value standardizes to 0)
        var, mean = torch.var_mean(x, dim=(1, 2), keepdim=True,
                                   correction=1 if grid_hw[0] * grid_hw[1] > 1 else 0)
        x = (x - mean) * torch.rsqrt(var + 1e-12)  # a constant map: 0, with finite gradients
        frac = None
    elif standardize == 'image':
        frac = valid_fraction(valid_hw, grid_hw, image_hw).to(x.dtype)
        mask = (frac > 0).to(x.dtype)
        count = mask.sum(dim=(1, 2), keepdim=True)
        mean = (x * mask).sum(dim=(1, 2), keepdim=True) / count
        var = ((x - mean).square() * mask).sum(dim=(1, 2), keepdim=True) / (count - 1).clamp_min(1)
        x = (x - mean) / (var.clamp_min(1e-12).sqrt() + 1e-8)
    else:
        raise ValueError(f"standardize must be 'image' or 'batch', got {standardize!r}")
    # β = 1 (the default) dispatches no multiply: the official op sequence, bit for bit
    score = torch.sigmoid(x if sharpness == 1 else x * sharpness)
    if frac is not None:
        score = score * frac.to(score.dtype)
    return score + floor
