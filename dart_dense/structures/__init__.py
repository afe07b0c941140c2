"""Data structures shared by tokenizers, backbones, heads, hooks and visualizers: the token
geometry (:class:`TokenLayout`) and the records that carry tokens with it. They depend on
:mod:`dart_dense.ops` only, never on :mod:`dart_dense.models`."""
from .clip_tokens import ClipTokens
from .token_features import TokenFeatures
from .token_layout import TokenLayout

__all__ = ['TokenLayout', 'TokenFeatures', 'ClipTokens']
