"""TokenFeatures: one block's tokens with their layout, for heads that work in token space."""
from dataclasses import dataclass

from torch import Tensor

from .token_layout import TokenLayout


@dataclass
class TokenFeatures:
    """One block's patch tokens and their geometry: what ``DARTViT(out_type='tokens')`` returns
    (one per ``out_indices`` entry) for heads that work in token space.

    Attributes:
        tokens: (B, N, C) patch tokens (class token dropped).
        layout: the live layout of the forward (differentiable: gradients of anything rendered
            with ``layout.to_dense`` reach the scorer).
    """
    tokens: Tensor
    layout: TokenLayout
