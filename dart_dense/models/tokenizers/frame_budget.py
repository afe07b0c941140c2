"""One token budget per video clip, split across its frames by importance.

A clip of T frames gets a single budget N (default T × the frame tokenizer's budget). The shared
scorer rates all B·T frames in one pass; a motion term (temporal-difference energy) is mixed in;
both maps are standardized over the whole clip (not per frame), so a frame with more content or
motion than its clip-mates carries more importance mass. Frame ``t`` then gets a share of N
proportional to its mass (``budget_power`` sharpens it): every token covers about the same
importance mass over the clip, the temporal analogue of DART's quantile partition. Shares become
integers that sum exactly to N (largest remainder, each in ``[min_tokens, capacity]``), and
every frame is partitioned with its own budget.

Frames with different budgets cannot be stacked into one partition call, so frames are grouped
by budget (one batched partition/resample/embed per distinct budget). The clip sequences need
no padding: every clip has exactly N tokens, so the transformer sees (B, N, C) without an
attention mask.

Tubelets (``tubelet_size`` k > 1, as in ViViT / VideoMAE) take the place of frames: k
consecutive frames share one partition (the mean of their importance) and one budget, every
frame of the tubelet is resampled through that layout, and the k patches of a region are
embedded together (the projection sees k·C input channels). A token then carries how its
region changes over k frames, which a model trained from scratch picks up far sooner than
motion across separate frame tokens.
"""
from dataclasses import dataclass
from typing import Literal, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from .base_tokenizer import BaseTokenizer
from .dart_tokenizer import DARTTokenizer
from .importance import importance_from_logits
from .layout import TokenLayout

BudgetSplit = Literal['importance', 'uniform']


def split_budget(weights: Tensor, total: int, capacity: int, min_tokens: int = 1) -> Tensor:
    """Integer per-frame budgets proportional to ``weights`` that sum exactly to ``total``.

    Real shares are ``clamp(λ·w_t, min_tokens, capacity)`` with λ chosen (bisection, float64)
    so they sum to ``total``; then largest-remainder rounding (ties go to the earlier frame).

    Args:
        weights: (B, T) positive, finite frame weights.
        total: clip budget N; ``min_tokens·T <= N <= capacity·T``.
        capacity: most tokens one frame can hold.
        min_tokens: fewest tokens a frame gets (>= 1).

    Returns:
        (B, T) int64 budgets, each in ``[min_tokens, capacity]``, every row summing to ``total``.
    """
    if weights.dim() != 2 or weights.shape[1] < 1:
        raise ValueError(f'weights must be (B, T) with T >= 1, got {tuple(weights.shape)}')
    if not torch.isfinite(weights).all() or (weights <= 0).any():
        raise ValueError('weights must be positive and finite')
    if not 1 <= min_tokens <= capacity:
        raise ValueError(f'need 1 <= min_tokens <= capacity, got min_tokens={min_tokens}, '
                         f'capacity={capacity}')
    num_frames = weights.shape[1]
    if not min_tokens * num_frames <= total <= capacity * num_frames:
        raise ValueError(
            f'a clip budget of {total} tokens cannot be split over {num_frames} frames with '
            f'{min_tokens} to {capacity} tokens each (need {min_tokens * num_frames} to '
            f'{capacity * num_frames})')
    w = weights.detach().double()
    lo, hi = float(min_tokens), float(capacity)
    lam_lo = torch.zeros(w.shape[0], 1, dtype=w.dtype, device=w.device)
    lam_hi = hi / w.min(dim=1, keepdim=True).values  # every frame at capacity
    for _ in range(80):  # the sum is monotone in λ; 80 halvings reach float64 precision
        lam = (lam_lo + lam_hi) / 2
        too_many = (lam * w).clamp(lo, hi).sum(dim=1, keepdim=True) > total
        lam_hi = torch.where(too_many, lam, lam_hi)
        lam_lo = torch.where(too_many, lam_lo, lam)
    shares = (lam_lo * w).clamp(lo, hi)
    base = shares.floor()
    missing = total - base.sum(dim=1, keepdim=True)  # (B, 1), in [0, T] up to rounding
    frac = torch.where(base < hi, shares - base, torch.full_like(shares, -1.0))
    order = torch.sort(-frac, dim=1, stable=True).indices
    rank = torch.empty_like(order).scatter_(1, order, torch.arange(
        num_frames, device=w.device).expand_as(order).contiguous())
    budgets = (base + (rank < missing).to(base.dtype)).long()
    if (budgets.sum(dim=1) != total).any() or (budgets < min_tokens).any() \
            or (budgets > capacity).any():
        raise RuntimeError(f'budget split failed: {budgets.tolist()} for total={total}')
    return budgets


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


def _scatter_rows(parts: list[Tensor], index: Tensor) -> Tensor:
    """Rows of ``cat(parts)`` put at positions ``index`` (a permutation); differentiable."""
    order = torch.empty_like(index)
    order[index] = torch.arange(index.numel(), device=index.device)
    return torch.cat(parts)[order]


@dataclass
class FrameGroup:
    """Frames that share a budget, tokenized together.

    Attributes:
        frames: (G,) flat frame indices ``b·T + t``.
        slots: (G, n) positions of their tokens in the flattened (B·N) clip sequences.
        layout: the G frames' :class:`TokenLayout` (n tokens each).
    """
    frames: Tensor
    slots: Tensor
    layout: TokenLayout


@dataclass
class ClipTokens:
    """A batch of clips as token sequences of equal length N.

    "Frame" below means the unit that is tokenized: a frame, or a tubelet of k frames.

    Attributes:
        tokens: (B, N, C) embedded tokens, frame-major (frame 0's tokens first).
        pos: (B, N, C) spatial positional embedding re-binned to the tokens, or None.
        frame_index: (B, N) int64 frame (tubelet) of every token.
        budgets: (B, T') int64 tokens per frame (tubelet) (rows sum to N).
        groups: one :class:`FrameGroup` per distinct budget.
        importance: (B, T', h, w) clip-standardized importance, or None (fixed grid).
    """
    tokens: Tensor
    pos: Optional[Tensor]
    frame_index: Tensor
    budgets: Tensor
    groups: list[FrameGroup]
    importance: Optional[Tensor] = None

    @property
    def num_frames(self) -> int:
        return self.budgets.shape[1]

    def render(self, tokens: Tensor, stride: int) -> Tensor:
        """Render (B, N, C) clip tokens to (B, C, T, ceil(H/stride), ceil(W/stride)) maps."""
        b, n, c = tokens.shape
        flat = tokens.reshape(b * n, c)
        maps = [g.layout.to_dense(flat[g.slots], stride) for g in self.groups]
        frames = _scatter_rows(maps, torch.cat([g.frames for g in self.groups]))
        return frames.view(b, self.num_frames, *frames.shape[1:]).transpose(1, 2)

    def detach(self) -> dict:
        """Detached geometry for ``side_outputs``: budgets, importance, per-group layouts."""
        return dict(budgets=self.budgets, frame_index=self.frame_index,
                    importance=None if self.importance is None else self.importance.detach(),
                    layouts=[(g.frames, g.layout.detach()) for g in self.groups])


class FrameBudget:
    """Splits a clip's token budget over its frames and tokenizes every frame accordingly.

    Args:
        split: ``'importance'`` (shares ∝ frame importance mass) or ``'uniform'`` (equal
            shares; the comparison baseline, same importance maps otherwise).
        power: shares ∝ mass**power; 1 spends equal importance mass per token over the clip,
            > 1 concentrates the budget on the most important frames.
        motion_weight: α of :func:`clip_importance` (0: content only).
        min_tokens: fewest tokens any frame gets.
    """

    def __init__(self, split: BudgetSplit = 'importance', power: float = 1.0,
                 motion_weight: float = 0.5, min_tokens: int = 1):
        if split not in ('importance', 'uniform'):
            raise ValueError(f"budget split must be 'importance' or 'uniform', got {split!r}")
        if not power >= 0:
            raise ValueError(f'budget power must be >= 0, got {power}')
        if not 0.0 <= motion_weight <= 1.0:
            raise ValueError(f'motion_weight must be in [0, 1], got {motion_weight}')
        if not isinstance(min_tokens, int) or min_tokens < 1:
            raise ValueError(f'min_frame_tokens must be a positive int, got {min_tokens!r}')
        self.split = split
        self.power = float(power)
        self.motion_weight = float(motion_weight)
        self.min_tokens = min_tokens

    def clip_total(self, tokenizer: BaseTokenizer, num_frames: int, frame_hw: tuple[int, int],
                   num_tokens: Optional[int] = None) -> int:
        """The clip budget: ``num_tokens`` or T × the tokenizer's per-frame budget; validated."""
        if num_tokens is None:
            return num_frames * tokenizer.num_tokens_for(frame_hw)
        if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 1:
            raise ValueError(f'num_tokens (the clip budget) must be a positive int, '
                             f'got {num_tokens!r}')
        if not isinstance(tokenizer, DARTTokenizer):
            # a fixed grid has one possible budget per frame; the tokenizer's error says which
            if num_tokens % num_frames:
                raise ValueError(f'num_tokens={num_tokens} is not {num_frames} frames x the '
                                 f'fixed grid budget of {type(tokenizer).__name__}')
            tokenizer.num_tokens_for(frame_hw, num_tokens // num_frames)
        return num_tokens

    def __call__(self, tokenizer: BaseTokenizer, frames: Tensor,
                 pos_table: Optional[Tensor] = None,
                 num_tokens: Optional[int] = None, tubelet_size: int = 1) -> ClipTokens:
        """Tokenize a batch of clips.

        Args:
            tokenizer: a :class:`DARTTokenizer` (adaptive) or any fixed-budget tokenizer
                (e.g. ``GridTokenizer``: every frame gets the grid, ``split`` must be uniform).
                Its ``in_channels`` is ``tubelet_size`` × the frames' channels.
            frames: (B, T, C, H, W) normalized frames.
            pos_table: optional (1, C, h, w) spatial positional table.
            num_tokens: clip budget N (default T' × the tokenizer's budget, T' = T / k).
            tubelet_size: k, frames per tubelet (see the module docstring); T % k == 0.

        Returns:
            :class:`ClipTokens` with N tokens per clip, one budget per tubelet.
        """
        if frames.dim() != 5:
            raise ValueError(f'frames must be (B, T, C, H, W), got {tuple(frames.shape)}')
        b, t, c, h, w = frames.shape
        if not isinstance(tubelet_size, int) or tubelet_size < 1 or t % tubelet_size:
            raise ValueError(f'tubelet_size={tubelet_size!r} must be a positive int dividing '
                             f'the clip length T={t}')
        units = t // tubelet_size
        # (B, T', k·C, H, W): the k frames of a tubelet stacked along channels, frame-major
        flat = frames.reshape(b * units, tubelet_size * c, h, w)
        hw = tokenizer.check_images(flat)
        tokenizer.check_pos_embed(pos_table, tokenizer.embed_dims)
        total = self.clip_total(tokenizer, units, hw, num_tokens)
        if not isinstance(tokenizer, DARTTokenizer):
            if self.split != 'uniform':
                raise ValueError(f'{type(tokenizer).__name__} has a fixed budget per frame: '
                                 "use budget_split='uniform'")
            out = tokenizer(flat, pos_table, num_tokens=total // units)
            budgets = torch.full((b, units), total // units, dtype=torch.long,
                                 device=frames.device)
            return self._assemble([out.tokens], [out.pos], [out.layout],
                                  [torch.arange(b * units, device=frames.device)], budgets, None)

        logits = tokenizer.scorer(frames.flatten(0, 1))  # every frame, in one pass
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        grid = tokenizer.partition_grid(hw)
        importance = clip_importance(logits.view(b, t, *logits.shape[1:]), grid, frames,
                                     self.motion_weight, tokenizer.score_floor)
        importance = importance.view(b, units, tubelet_size, *grid).mean(dim=2)
        if self.split == 'importance':
            weights = importance.detach().sum(dim=(2, 3)).double() ** self.power
        else:
            weights = torch.ones(b, units, dtype=torch.float64, device=frames.device)
        budgets = split_budget(weights, total, tokenizer.capacity(hw), self.min_tokens)

        tokens, pos, layouts, members = [], [], [], []
        flat_importance, flat_budgets = importance.flatten(0, 1), budgets.flatten()
        for n in torch.unique(flat_budgets).tolist():
            idx = torch.nonzero(flat_budgets == n).flatten()
            out = tokenizer.tokenize_importance(flat[idx], flat_importance[idx], n, pos_table)
            tokens.append(out.tokens)
            pos.append(out.pos)
            layouts.append(out.layout)
            members.append(idx)
        return self._assemble(tokens, pos, layouts, members, budgets, importance)

    @staticmethod
    def _assemble(tokens: list[Tensor], pos: list[Optional[Tensor]], layouts: list[TokenLayout],
                  members: list[Tensor], budgets: Tensor,
                  importance: Optional[Tensor]) -> ClipTokens:
        """Per-group (G, n, C) tokens → frame-major (B, N, C) clip sequences."""
        b, t = budgets.shape
        total = int(budgets[0].sum())
        starts = (budgets.cumsum(dim=1) - budgets).flatten()  # first slot of every frame
        starts = starts + torch.arange(b, device=budgets.device).repeat_interleave(t) * total
        groups = []
        for idx, layout in zip(members, layouts):
            slots = starts[idx, None] + torch.arange(layout.num_tokens, device=idx.device)
            groups.append(FrameGroup(frames=idx, slots=slots, layout=layout))
        index = torch.cat([g.slots.flatten() for g in groups])
        c = tokens[0].shape[-1]
        seq = _scatter_rows([x.reshape(-1, c) for x in tokens], index).view(b, total, c)
        seq_pos = None
        if pos[0] is not None:
            seq_pos = _scatter_rows([p.reshape(-1, c) for p in pos], index)
            seq_pos = seq_pos.view(b, total, c).to(seq.dtype)
        frame_index = torch.arange(t, device=budgets.device).repeat(b).repeat_interleave(
            budgets.flatten()).view(b, total)
        return ClipTokens(tokens=seq, pos=seq_pos, frame_index=frame_index, budgets=budgets,
                          groups=groups, importance=importance)
