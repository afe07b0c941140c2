"""What every token-space decode head shares: picking token sets, rendering per-token logits.

A token-space head reads the backbone's ``DARTViT(out_type='tokens')`` output, a tuple of
:class:`~dart_dense.structures.TokenFeatures` (one per ``out_indices`` entry, all with the
same forward's layout), computes (B, N, K) class logits per token and renders only those
through the layout (``TokenLayout.to_dense``: exact area overlap) at ``render_stride``. The
result is an ordinary mmseg ``seg_logits`` map, so mmseg's losses, ``IoUMetric`` and
``inference_model`` work unchanged.
"""
from typing import Sequence

from torch import Tensor

from dart_dense.structures import TokenFeatures


def check_render_stride(render_stride: int) -> int:
    """``render_stride`` if it is a positive int; a ValueError naming it otherwise."""
    if not isinstance(render_stride, int) or isinstance(render_stride, bool) or \
            render_stride < 1:
        raise ValueError(f'render_stride must be a positive int, got {render_stride!r}')
    return render_stride


def select_token_sets(inputs: Sequence[TokenFeatures], indices: Sequence[int],
                      head: str) -> list[TokenFeatures]:
    """``inputs[i]`` for i in ``indices``; a TypeError with the fix when they are not tokens
    (a backbone left at ``out_type='featmap'``, or a neck in between)."""
    selected = [inputs[i] for i in indices]
    for features in selected:
        if not isinstance(features, TokenFeatures):
            raise TypeError(
                f"{head} needs tokens and their layout: set the backbone's "
                f"out_type='tokens' (DARTViT) and no neck; got inputs of type "
                f'{type(features).__name__}')
    return selected


def tokens_as_map(tokens: Tensor) -> Tensor:
    """(B, N, C) tokens as the (B, C, 1, N) map mmseg's heads take (1×1 convs and flattening
    then act per token, in token order)."""
    return tokens.transpose(1, 2).unsqueeze(2)


def map_as_tokens(logits: Tensor) -> Tensor:
    """(B, K, 1, N) per-token logits from an mmseg head back to (B, N, K)."""
    return logits.squeeze(2).transpose(1, 2)

