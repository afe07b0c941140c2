"""GridTokenizer: the fixed p×p patch grid of a plain ViT, behind the DART interface."""
from typing import Optional

import torch.nn.functional as F
from mmengine.registry import MODELS
from torch import Tensor

from .base_tokenizer import BaseTokenizer, TokenizerOutput
from .importance import ValidHW, check_valid_hw
from dart_dense.structures import TokenLayout


@MODELS.register_module()
class GridTokenizer(BaseTokenizer):
    """Non-overlapping p×p patches (images are zero-padded to a multiple of p, bottom/right).

    The baseline every DART comparison is made against: same projection, same interface,
    same layout object (a regular grid), so swapping tokenizers changes nothing else.
    The positional table is used as is when it matches the patch grid and resized bicubically
    otherwise, as a stock ViT does.
    """

    fixed_budget = True

    def num_tokens_for(self, image_hw: tuple[int, int],
                       num_tokens: Optional[int] = None) -> int:
        rows, cols = self.grid_shape(image_hw)
        if num_tokens is not None and num_tokens != rows * cols:
            raise ValueError(f'GridTokenizer has a fixed budget of {rows * cols} tokens for a '
                             f'{image_hw[0]}x{image_hw[1]} image; num_tokens={num_tokens} '
                             'needs a DARTTokenizer')
        return rows * cols

    def forward(self, images: Tensor, pos_embed: Optional[Tensor] = None,
                valid_hw: Optional[ValidHW] = None,
                num_tokens: Optional[int] = None) -> TokenizerOutput:
        """Tokenize images on the fixed grid.

        Args:
            images: (B, C, H, W).
            pos_embed: optional (1 or B, C, h, w) positional table.
            valid_hw: validated for interface parity; a fixed grid ignores padding.
            num_tokens: must be None or the grid's count.

        Returns:
            :class:`TokenizerOutput` with N = ceil(H/p)·ceil(W/p) tokens, row-major.
        """
        h, w = self.check_images(images)
        self.num_tokens_for((h, w), num_tokens)
        check_valid_hw(valid_hw, images.shape[0], (h, w), images.device)
        self.check_pos_embed(pos_embed, self.embed_dims)
        rows, cols = self.grid_shape((h, w))
        pad_h, pad_w = rows * self.patch_size - h, cols * self.patch_size - w
        if pad_h or pad_w:
            images = F.pad(images, (0, pad_w, 0, pad_h))
        tokens = self.proj(images).flatten(2).transpose(1, 2)  # (B, N, C)
        if self.norm is not None:
            tokens = self.norm(tokens)
        pos = None
        if pos_embed is not None:
            if pos_embed.shape[-2:] != (rows, cols):
                pos_embed = F.interpolate(pos_embed, size=(rows, cols), mode='bicubic',
                                          align_corners=False)
            pos = pos_embed.flatten(2).transpose(1, 2).expand(images.shape[0], -1, -1)
        layout = TokenLayout.grid(images.shape[0], (h, w), self.patch_size, images.device)
        return TokenizerOutput(tokens=tokens, pos=pos, layout=layout, scores=None)
