"""What every tokenizer shares: input checks, the patch projection and the output record."""
import math
from dataclasses import dataclass
from typing import ClassVar, Optional

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from .importance import ValidHW
from dart_dense.structures import TokenLayout


@dataclass
class TokenizerOutput:
    """What a tokenizer returns.

    Attributes:
        tokens: (B, N, C) embedded tokens.
        pos: (B, N, C) positional embedding re-binned to the tokens, or None.
        layout: the geometry (renders tokens back with ``layout.to_dense``).
        scores: (B, h, w) importance on the partition grid, or None (fixed grid).
    """
    tokens: Tensor
    pos: Optional[Tensor]
    layout: TokenLayout
    scores: Optional[Tensor] = None


class BaseTokenizer(BaseModule):
    """Images → tokens with a p×p linear patch projection (``proj``, a Conv2d as in timm).

    Args:
        in_channels: image channels.
        embed_dims: C, token width.
        patch_size: p, side of the patch every region is embedded from.
        norm_cfg: optional norm after the projection (e.g. ``dict(type='LN')``).
        init_cfg: mmengine initialization config.

    A tokenizer whose budget can vary (``fixed_budget = False``) also scores images and can
    give every image of a batch its own budget; clip tokenizers use that interface:
    ``scorer`` (logits), ``partition_grid``, ``score_floor`` and
    :meth:`tokenize_importance` with per-image ``counts``.
    """

    #: True when an image of a given size always gets the same tokens (a fixed grid): such a
    #: tokenizer takes no call-time budget other than its own, nor per-image budgets.
    fixed_budget: ClassVar[bool] = False

    def __init__(self, in_channels: int = 3, embed_dims: int = 768, patch_size: int = 16,
                 norm_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels), ('embed_dims', embed_dims),
                            ('patch_size', patch_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value!r}')
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, embed_dims, patch_size, stride=patch_size)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1] if norm_cfg else None

    def grid_shape(self, image_hw: tuple[int, int]) -> tuple[int, int]:
        """Rows and columns of the fixed p×p grid over an image (last ones may be partial)."""
        return math.ceil(image_hw[0] / self.patch_size), math.ceil(image_hw[1] / self.patch_size)

    def capacity(self, image_hw: tuple[int, int]) -> int:
        """Most tokens an image can hold: one per p×p patch of the fixed grid."""
        rows, cols = self.grid_shape(image_hw)
        return rows * cols

    def check_images(self, images: Tensor) -> tuple[int, int]:
        """Validate (B, C, H, W) images; returns (H, W)."""
        if not isinstance(images, Tensor):
            raise TypeError(f'images must be a torch.Tensor, got {type(images).__name__}')
        if images.dim() != 4:
            raise ValueError(f'images must be (B, C, H, W), got shape {tuple(images.shape)}')
        if not images.is_floating_point():
            raise TypeError(f'images must be floating point (normalized), got {images.dtype}')
        if images.shape[1] != self.in_channels:
            raise ValueError(f'images have {images.shape[1]} channels, the tokenizer expects '
                             f'in_channels={self.in_channels}')
        h, w = images.shape[-2:]
        if h < self.patch_size or w < self.patch_size:
            raise ValueError(f'images of {h}x{w} are smaller than one patch '
                             f'(patch_size={self.patch_size})')
        return int(h), int(w)

    def embed_patches(self, patches: Tensor) -> Tensor:
        """(..., C_in, p, p) → (..., C): the p×p conv of the patch, as one matrix product."""
        weight = self.proj.weight.flatten(1)
        tokens = F.linear(patches.flatten(-3).to(weight.dtype), weight, self.proj.bias)
        return self.norm(tokens) if self.norm is not None else tokens

    @staticmethod
    def check_pos_embed(pos_embed: Optional[Tensor], embed_dims: int) -> None:
        if pos_embed is None:
            return
        if not isinstance(pos_embed, Tensor) or pos_embed.dim() != 4 \
                or pos_embed.shape[1] != embed_dims:
            shape = tuple(pos_embed.shape) if isinstance(pos_embed, Tensor) else pos_embed
            raise ValueError(f'pos_embed must be a (1 or B, C={embed_dims}, h, w) table, '
                             f'got {shape}')

    def num_tokens_for(self, image_hw: tuple[int, int],
                       num_tokens: Optional[int] = None) -> int:
        """Token count for an image size (and an optional call-time budget); validates it."""
        raise NotImplementedError

    def tokenize_importance(self, images: Tensor, importance: Tensor, num_tokens: int,
                            pos_embed: Optional[Tensor] = None,
                            counts: Optional[Tensor] = None,
                            select: Optional[Tensor] = None) -> TokenizerOutput:
        """Tokenize given (B, h, w) importance, image b with ``counts[b]`` of ``num_tokens``
        slots, embedding only the ``select`` ed slots (variable-budget tokenizers; see
        ``DARTTokenizer.tokenize_importance``)."""
        raise NotImplementedError(f'{type(self).__name__} has a fixed budget: it tokenizes '
                                  'without importance')

    def forward(self, images: Tensor, pos_embed: Optional[Tensor] = None,
                valid_hw: Optional[ValidHW] = None,
                num_tokens: Optional[int] = None) -> TokenizerOutput:
        """Tokenize (B, C, H, W) images; see the subclasses."""
        raise NotImplementedError

