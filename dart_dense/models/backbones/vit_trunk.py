"""The plain-ViT part of a token backbone: class token, positional table, timm blocks, final
norm, and their fine-tuning interface. What feeds the blocks (a tokenizer) and what is made of
their outputs (rendered maps, token sets) belongs to the backbone class."""
from typing import Sequence, Union

import torch
from mmengine.model.weight_init import trunc_normal_
from timm.models.vision_transformer import Block
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from .fine_tuning import ViTFineTuningMixin


def vit_layer_norm(dim: int, **kwargs) -> nn.LayerNorm:
    """LayerNorm with the ViT/DeiT epsilon (timm passes device/dtype keywords)."""
    return nn.LayerNorm(dim, eps=1e-6, **kwargs)


class ViTTrunkMixin(ViTFineTuningMixin):
    """Builds and runs the ViT trunk on the host ``nn.Module`` (parameters registered on the
    host itself, so checkpoint keys are timm's: ``cls_token``, ``pos_embed``, ``blocks.i.*``,
    ``norm.*``).

    The host sets ``embed_dims``, ``depth``, ``num_heads`` and ``with_cp`` and calls
    :meth:`_build_trunk` in its ``__init__``.
    """

    embed_dims: int
    num_heads: int

    def _build_trunk(self, pos_grid: tuple[int, int], with_cls_token: bool, mlp_ratio: float,
                     drop_rate: float, attn_drop_rate: float, drop_path_rate: float,
                     qkv_bias: bool, final_norm: bool) -> None:
        """Class token, (1, [1+]h·w, C) positional table over ``pos_grid``, ``depth`` timm
        blocks (stochastic depth rising linearly to ``drop_path_rate``), final norm."""
        self.pos_grid = pos_grid
        self.with_cls_token = with_cls_token
        num_extra = 1 if with_cls_token else 0
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims)) if with_cls_token \
            else None
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_extra + pos_grid[0] * pos_grid[1], self.embed_dims))
        self.pos_drop = nn.Dropout(drop_rate)

        dpr = torch.linspace(0, drop_path_rate, self.depth).tolist()
        self.blocks = nn.ModuleList([
            Block(self.embed_dims, self.num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                  proj_drop=drop_rate, attn_drop=attn_drop_rate, drop_path=dpr[i],
                  norm_layer=vit_layer_norm)
            for i in range(self.depth)])
        self.final_norm = final_norm
        self.norm = vit_layer_norm(self.embed_dims) if final_norm else nn.Identity()

    def _init_trunk_weights(self) -> None:
        """The ViT default: truncated normal (std 0.02) for the positional table and the block
        linears, a near-zero class token."""
        trunc_normal_(self.pos_embed, std=0.02)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.blocks.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def _check_out_indices(self, out_indices: Union[int, Sequence[int]]) -> tuple[int, ...]:
        """Block indices (negative ones count from the end) → non-negative, validated."""
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        if not indices:
            raise ValueError('out_indices must select at least one block')
        resolved = []
        for i in indices:
            j = i + self.depth if i < 0 else i
            if not 0 <= j < self.depth:
                raise ValueError(f'out_indices entry {i} is out of range for depth {self.depth}')
            resolved.append(j)
        return tuple(resolved)

    def pos_table(self) -> Tensor:
        """(1, C, h, w) positional table of the patch tokens (class entry excluded)."""
        table = self.pos_embed[:, self.num_prefix_tokens:]
        return table.transpose(1, 2).reshape(1, self.embed_dims, *self.pos_grid)

    def with_prefix_tokens(self, x: Tensor) -> Tensor:
        """(B, N, C) embedded tokens → (B, [1+]N, C): the class token (with its positional
        entry) prepended, then the positional dropout."""
        if self.cls_token is not None:
            cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1)
        return self.pos_drop(x)

    def _run_block(self, index: int, x: Tensor) -> Tensor:
        block = self.blocks[index]
        if self.with_cp and self.training and x.requires_grad:
            return checkpoint(block, x, use_reentrant=False)
        return block(x)

    def run_blocks(self, x: Tensor, indices: Sequence[int]) -> tuple[Tensor, list[Tensor]]:
        """(B, L, C) sequence through all blocks (final norm after the last); returns the final
        sequence and the full sequences after the blocks in ``indices`` (in that order)."""
        wanted, kept = set(indices), {}
        for i in range(self.depth):
            x = self._run_block(i, x)
            if i == self.depth - 1:
                x = self.norm(x)
            if i in wanted:
                kept[i] = x
        return x, [kept[i] for i in indices]
