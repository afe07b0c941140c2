"""How much every cell of every frame matters, comparably across the frames of a clip.

The image tokenizer standardizes its scorer's logits per image, which makes every image carry
about the same importance mass. A clip budget needs the opposite: a frame with more content or
motion than its clip-mates must carry more mass. So the content logits (the frame tokenizer's
scorer) and a parameter-free motion term (temporal-difference energy) are each standardized
over the whole clip, then mixed.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from .importance import importance_from_logits


def _clip_standardized(maps: Tensor, floor: float) -> Tensor:
    """(B, K, h, w) logit maps → ``sigmoid`` of values standardized over each clip, + floor.

    The K maps of a clip are laid side by side as one image, so the tokenizer's per-image
    standardization becomes a per-clip one.
    """
    b, k, h, w = maps.shape
    tiled = maps.permute(0, 2, 1, 3).reshape(b, 1, h, k * w)
    out = importance_from_logits(tiled, (h, k * w), (h, k * w), standardize='image', floor=floor)
    return out.view(b, h, k, w).permute(0, 2, 1, 3)


def motion_logits(frames: Tensor, grid_hw: tuple[int, int], eps: float = 1e-6) -> Tensor:
    """log of the mean squared temporal difference per grid cell, for every transition.

    Args:
        frames: (B, T, C, H, W) normalized frames, T >= 2.
        grid_hw: (h, w) cells (adaptive average pooling).
        eps: added before the log so static cells stay finite.

    Returns:
        (B, T-1, h, w); entry ``τ`` is the change from frame ``τ`` to frame ``τ+1``.
    """
    b, t = frames.shape[:2]
    energy = (frames[:, 1:] - frames[:, :-1]).float().square().mean(dim=2)  # (B, T-1, H, W)
    energy = F.adaptive_avg_pool2d(energy.reshape(b * (t - 1), 1, *energy.shape[-2:]), grid_hw)
    return torch.log(energy + eps).view(b, t - 1, *grid_hw)


def clip_importance(logits: Tensor, grid_hw: tuple[int, int], frames: Optional[Tensor] = None,
                    motion_weight: float = 0.5, floor: float = 0.1) -> Tensor:
    """Importance of every frame cell, comparable across the frames of a clip.

    ``(1 − α)·content + α·motion + floor`` with both terms ``sigmoid`` of clip-standardized
    logits. A frame's motion is the mean over its (one or two) adjacent transitions, so a frame
    that differs from both neighbours outranks the neighbours, which differ on one side only.

    Args:
        logits: (B, T, 1, h', w') scorer logits of every frame.
        grid_hw: (h, w) partition grid; content logits are resized to it (bilinear).
        frames: (B, T, C, H, W) frames for the motion term, or None for content only.
        motion_weight: α in [0, 1]; ignored when ``frames`` is None or T == 1.
        floor: minimum importance (the tokenizer's ``score_floor``).

    Returns:
        (B, T, h, w) positive importance.
    """
    if logits.dim() != 5 or logits.shape[2] != 1:
        raise ValueError(f'logits must be (B, T, 1, h, w), got {tuple(logits.shape)}')
    if not 0.0 <= motion_weight <= 1.0:
        raise ValueError(f'motion_weight must be in [0, 1], got {motion_weight}')
    b, t = logits.shape[:2]
    content = F.interpolate(logits.flatten(0, 1).float(), size=grid_hw, mode='bilinear',
                            align_corners=False).view(b, t, *grid_hw)
    content = _clip_standardized(content, floor=0.0)
    if frames is None or t < 2 or motion_weight == 0.0:
        return content + floor
    with torch.no_grad():  # the motion term has no parameters to train
        moves = _clip_standardized(motion_logits(frames, grid_hw), floor=0.0)  # (B, T-1, h, w)
        into = torch.cat([moves[:, :1], moves], dim=1)  # transition ending at t (t=0: first)
        out_of = torch.cat([moves, moves[:, -1:]], dim=1)  # starting at t (t=T-1: last)
        motion = (into + out_of) / 2
    return (1.0 - motion_weight) * content + motion_weight * motion + floor
