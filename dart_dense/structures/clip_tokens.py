"""ClipTokens: a batch of clips as equal-length token sequences over a padded frame layout."""
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

from .token_layout import TokenLayout


@dataclass
class ClipTokens:
    """A batch of clips as token sequences of equal length N, and their padded frame layout.

    "Frame" below means the unit that is tokenized: a frame, or a tubelet of k frames.

    Attributes:
        tokens: (B, N, C) embedded tokens, frame-major (frame 0's tokens first).
        pos: (B, N, C) spatial positional embedding re-binned to the tokens, or None.
        frame_index: (B, N) int64 frame (tubelet) of every token.
        budgets: (B, T') int64 tokens per frame (tubelet) (rows sum to N).
        layout: the B·T' frames' :class:`TokenLayout` (frame ``b·T' + t``), n_max slots each;
            its ``counts`` are the flattened budgets, or None when every frame fills its slots.
        source: (B, N) row of every clip token in the flat (B·T'·n_max) frame tokens, or None
            when every frame fills its slots (the clip sequence is then a plain reshape).
        importance: (B, T', h, w) clip-standardized importance, or None (fixed grid).
    """
    tokens: Tensor
    pos: Optional[Tensor]
    frame_index: Tensor
    budgets: Tensor
    layout: TokenLayout
    source: Optional[Tensor] = None
    importance: Optional[Tensor] = None

    @property
    def num_frames(self) -> int:
        return self.budgets.shape[1]

    def frame_tokens(self, tokens: Tensor) -> Tensor:
        """(B, N, C) clip tokens → (B·T', n_max, C) in the padded layout, padding zeroed."""
        b, n, c = tokens.shape
        slots = self.layout.num_tokens
        if self.source is None:
            return tokens.reshape(b * self.num_frames, slots, c)
        # the inverse of clip_slots: slot k of frame (b, t) is clip position start_{b,t} + k
        starts = (self.budgets.cumsum(dim=1) - self.budgets).flatten()  # (B·T',)
        clips = torch.arange(starts.shape[0], device=tokens.device) // self.num_frames
        index = starts[:, None] + torch.arange(slots, device=tokens.device)
        index = clips[:, None] * n + index.clamp_max(n - 1)
        gathered = tokens.reshape(b * n, c).index_select(0, index.flatten())
        gathered = gathered.view(b * self.num_frames, slots, c)
        return torch.where(self.layout.token_mask()[..., None], gathered, 0.0)

    def render(self, tokens: Tensor, stride: int) -> Tensor:
        """Render (B, N, C) clip tokens to (B, C, T', ceil(H/stride), ceil(W/stride)) maps.

        Padded slots have zero width and padded bands zero height: they render nothing.
        """
        maps = self.layout.to_dense(self.frame_tokens(tokens), stride)  # (B·T', C, h, w)
        return maps.view(tokens.shape[0], self.num_frames, *maps.shape[1:]).transpose(1, 2)
