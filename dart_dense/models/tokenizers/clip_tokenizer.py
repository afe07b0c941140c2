"""ClipTokenizer: one token budget per video clip, split across its frames by importance.

A clip of T frames gets a single budget N (default T × the frame tokenizer's budget). The frame
tokenizer's scorer rates all B·T frames in one pass, a motion term is mixed in and both are
standardized over the whole clip (:mod:`.clip_importance`); frame ``t`` then gets a share of N
proportional to its importance mass (:mod:`.budget_allocation`), an integer in
``[min_frame_tokens, n_max]``, the shares summing exactly to N.

All frames are tokenized in ONE batched call with the same static number of token slots
``n_max`` (the frame capacity, or ``max_frame_tokens``): frame ``t`` uses its first
``budget_t`` slots, the others are zero-width padding (``TokenLayout.counts``). The clip
sequence is gathered from the real slots with index arithmetic on the budgets' cumulative sums,
so every clip has exactly N tokens, frame-major, and the transformer needs no attention mask;
rendering scatters the clip tokens back into the padded layout. Shapes depend only on the
configuration, never on the budgets' values: no host sync, one graph under ``torch.compile``.

Tubelets (``tubelet_size`` k > 1, as in ViViT / VideoMAE) take the place of frames: k
consecutive frames share one partition (the mean of their importance) and one budget, every
frame of the tubelet is resampled through that layout and the k patches of a region are
embedded together (the frame tokenizer's ``in_channels`` is k × the frames' channels).
"""
from typing import Literal, Optional, Union

import torch
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import Tensor, nn

from dart_dense.structures import ClipTokens, TokenLayout

from ..scorers.base_scorer import logit_dtype
from .base_tokenizer import BaseTokenizer
from .budget_allocation import split_budget
from .clip_importance import clip_importance

BudgetSplit = Literal['importance', 'uniform']


def clip_slots(budgets: Tensor, num_slots: int, total: int) -> tuple[Tensor, Tensor]:
    """Where every token of the clip sequences comes from in the padded frame layout.

    Args:
        budgets: (B, T) int64 tokens per frame, rows summing to ``total``.
        num_slots: n_max, token slots per frame (every budget <= n_max).
        total: N, tokens per clip.

    Returns:
        source: (B, N) row of every clip token in the flat (B·T·n_max) padded frame tokens.
        frame_index: (B, N) frame of every clip token (frame-major: frame 0's tokens first).
    """
    b, t = budgets.shape
    ends = budgets.cumsum(dim=1)  # (B, T) one past every frame's last clip position
    position = torch.arange(total, device=budgets.device).expand(b, total).contiguous()
    frame = torch.searchsorted(ends, position, right=True).clamp_max(t - 1)
    slot = position - (ends - budgets).gather(1, frame)  # index among the frame's tokens
    rows = torch.arange(b, device=budgets.device)[:, None] * t + frame
    return rows * num_slots + slot.clamp(0, num_slots - 1), frame


@MODELS.register_module()
class ClipTokenizer(BaseModule):
    """Tokenizes video clips with any frame tokenizer, one token budget per clip.

    A variable-budget frame tokenizer (``fixed_budget = False``, e.g. ``DARTTokenizer``)
    scores the frames and every frame gets its share of the clip budget; a fixed-budget one
    (``GridTokenizer``) gives every frame its grid and needs ``budget_split='uniform'``.

    Args:
        tokenizer: the frame tokenizer, a config or a built module (then shared, not copied).
            Its ``in_channels`` is ``tubelet_size`` × the frames' channels.
        budget_split: ``'importance'`` (shares ∝ frame importance mass) or ``'uniform'``
            (equal shares; the comparison baseline, same importance maps otherwise).
        budget_power: shares ∝ mass**power; 1 spends equal importance mass per token over the
            clip, > 1 concentrates the budget on the most important frames.
        motion_weight: α of :func:`clip_importance` (0: content only).
        min_frame_tokens: fewest tokens any frame gets.
        max_frame_tokens: most tokens any frame gets, n_max, the static number of token slots
            of every frame (default: the frame capacity, one token per p×p patch). Smaller
            values resample fewer padded slots.
        tubelet_size: k frames per tubelet (see the module docstring).
        init_cfg: mmengine initialization config.
    """

    def __init__(self, tokenizer: Union[dict, BaseTokenizer],
                 budget_split: BudgetSplit = 'importance', budget_power: float = 1.0,
                 motion_weight: float = 0.5, min_frame_tokens: int = 1,
                 max_frame_tokens: Optional[int] = None, tubelet_size: int = 1,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.tokenizer: BaseTokenizer = (tokenizer if isinstance(tokenizer, nn.Module)
                                         else MODELS.build(tokenizer))
        if budget_split not in ('importance', 'uniform'):
            raise ValueError(f"budget_split must be 'importance' or 'uniform', "
                             f'got {budget_split!r}')
        if budget_split == 'importance' and self.tokenizer.fixed_budget:
            raise ValueError(f'{type(self.tokenizer).__name__} has a fixed budget per frame: '
                             "use budget_split='uniform'")
        if not budget_power >= 0:
            raise ValueError(f'budget_power must be >= 0, got {budget_power}')
        if not 0.0 <= motion_weight <= 1.0:
            raise ValueError(f'motion_weight must be in [0, 1], got {motion_weight}')
        for name, value in (('min_frame_tokens', min_frame_tokens),
                            ('max_frame_tokens', max_frame_tokens),
                            ('tubelet_size', tubelet_size)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        if max_frame_tokens is not None and max_frame_tokens < min_frame_tokens:
            raise ValueError(f'max_frame_tokens={max_frame_tokens} is below '
                             f'min_frame_tokens={min_frame_tokens}')
        self.budget_split = budget_split
        self.budget_power = float(budget_power)
        self.motion_weight = float(motion_weight)
        self.min_frame_tokens = min_frame_tokens
        self.max_frame_tokens = max_frame_tokens
        self.tubelet_size = tubelet_size

    def frame_slots(self, frame_hw: tuple[int, int]) -> int:
        """n_max: the static token slots of every frame (tubelet) of this size."""
        capacity = self.tokenizer.capacity(frame_hw)
        return capacity if self.max_frame_tokens is None else min(self.max_frame_tokens,
                                                                  capacity)

    def clip_budget(self, num_frames: int, frame_hw: tuple[int, int],
                    num_tokens: Optional[int] = None) -> int:
        """The clip budget N for T' frames (tubelets): ``num_tokens`` or T' × the frame
        tokenizer's budget; raises if the frames cannot hold it."""
        tokenizer = self.tokenizer
        if num_tokens is None:
            total = num_frames * tokenizer.num_tokens_for(frame_hw)
        elif not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens < 1:
            raise ValueError(f'num_tokens (the clip budget) must be a positive int, '
                             f'got {num_tokens!r}')
        else:
            total = num_tokens
        if tokenizer.fixed_budget:
            # a fixed grid has one possible budget per frame; the tokenizer's error says which
            if total % num_frames:
                raise ValueError(f'num_tokens={total} is not {num_frames} frames x the fixed '
                                 f'grid budget of {type(tokenizer).__name__}')
            tokenizer.num_tokens_for(frame_hw, total // num_frames)
            return total
        low, high = self.min_frame_tokens, self.frame_slots(frame_hw)
        if not low * num_frames <= total <= high * num_frames:
            raise ValueError(
                f'a clip budget of {total} tokens cannot be split over {num_frames} frames '
                f'with {low} to {high} tokens each (min_frame_tokens, and max_frame_tokens or '
                f'the frame capacity): need {low * num_frames} to {high * num_frames}')
        return total

    def clip_importance(self, frames: Tensor, frame_hw: tuple[int, int]) -> Tensor:
        """(B, T, C, H, W) frames → (B, T', h, w) importance per frame (tubelet)."""
        b, t = frames.shape[:2]
        tokenizer = self.tokenizer
        logits = tokenizer.scorer(frames.flatten(0, 1))  # every frame, in one pass
        # geometry never in half precision (AMP): at least float32
        logits = logits.to(logit_dtype(logits.dtype))
        grid = tokenizer.partition_grid(frame_hw)
        importance = clip_importance(logits.view(b, t, *logits.shape[1:]), grid, frames,
                                     self.motion_weight, tokenizer.score_floor)
        return importance.view(b, t // self.tubelet_size, self.tubelet_size, *grid).mean(dim=2)

    def forward(self, frames: Tensor, pos_embed: Optional[Tensor] = None,
                num_tokens: Optional[int] = None) -> ClipTokens:
        """Tokenize a batch of clips.

        Args:
            frames: (B, T, C, H, W) normalized frames; T a multiple of ``tubelet_size``.
            pos_embed: optional (1, C, h, w) spatial positional table.
            num_tokens: clip budget N (default T' × the frame tokenizer's budget, T' = T / k).

        Returns:
            :class:`ClipTokens` with N tokens per clip, one budget per frame (tubelet).
        """
        if not isinstance(frames, Tensor) or frames.dim() != 5:
            shape = tuple(frames.shape) if isinstance(frames, Tensor) else type(frames).__name__
            raise ValueError(f'frames must be (B, T, C, H, W), got {shape}')
        b, t, c, h, w = frames.shape
        k = self.tubelet_size
        if t % k:
            raise ValueError(f'tubelet_size={k} must divide the clip length T={t}')
        units = t // k
        # (B·T', k·C, H, W): the k frames of a tubelet stacked along channels, frame-major
        flat = frames.reshape(b * units, k * c, h, w)
        tokenizer = self.tokenizer
        hw = tokenizer.check_images(flat)
        tokenizer.check_pos_embed(pos_embed, tokenizer.embed_dims)
        total = self.clip_budget(units, hw, num_tokens)
        if tokenizer.fixed_budget:
            out = tokenizer(flat, pos_embed, num_tokens=total // units)
            return self._assemble(out.tokens, out.pos, out.layout, b, total)

        importance = self.clip_importance(frames, hw)
        if self.budget_split == 'uniform' and total % units == 0:
            slots = total // units  # every frame fills its slots: no padding
            out = tokenizer.tokenize_importance(flat, importance.flatten(0, 1), slots,
                                                pos_embed)
            return self._assemble(out.tokens, out.pos, out.layout, b, total, importance)
        slots = self.frame_slots(hw)
        if self.budget_split == 'importance':
            weights = importance.detach().sum(dim=(2, 3)).double() ** self.budget_power
        else:  # uniform, up to the remainder of total / T'
            weights = importance.new_ones(b, units, dtype=torch.float64)
        budgets = split_budget(weights, total, slots, self.min_frame_tokens)
        source, frame_index = clip_slots(budgets, slots, total)
        # only the real slots are resampled and embedded, already in clip order
        out = tokenizer.tokenize_importance(flat, importance.flatten(0, 1), slots, pos_embed,
                                            counts=budgets.flatten(), select=source)
        pos = None if out.pos is None else out.pos.to(out.tokens.dtype)
        return ClipTokens(out.tokens, pos, frame_index, budgets, out.layout, source, importance)

    @staticmethod
    def _assemble(tokens: Tensor, pos: Optional[Tensor], layout: TokenLayout, batch: int,
                  total: int, importance: Optional[Tensor] = None) -> ClipTokens:
        """(B·T', n, C) frame tokens that fill their slots → frame-major (B, N, C) clips."""
        units, slots, c = tokens.shape[0] // batch, tokens.shape[1], tokens.shape[2]
        device = tokens.device
        frame_index = (torch.arange(total, device=device) // slots).expand(batch, total)
        budgets = torch.full((batch, units), slots, dtype=torch.long, device=device)
        seq = tokens.reshape(batch, total, c)
        seq_pos = None if pos is None else pos.reshape(batch, total, c).to(seq.dtype)
        return ClipTokens(seq, seq_pos, frame_index, budgets, layout, None, importance)
