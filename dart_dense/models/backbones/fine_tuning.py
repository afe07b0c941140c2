"""The fine-tuning interface of a ViT backbone: timm's (``no_weight_decay``,
``group_matcher``, ``set_grad_checkpointing``, ``num_prefix_tokens``) and mmpretrain's
``get_layer_depth`` (read by the layer-decay optimizer constructor)."""
from typing import Any

from torch import nn


class ViTFineTuningMixin:
    """Parameter grouping of a plain ViT: a stem, ``blocks.i``, a final ``norm``.

    The host class is an ``nn.Module`` with ``depth`` (number of blocks), ``with_cls_token``
    and ``with_cp`` attributes, its blocks at ``blocks.*`` and its final norm at ``norm.*``.
    """

    depth: int
    with_cls_token: bool
    with_cp: bool

    @property
    def num_prefix_tokens(self) -> int:
        """Tokens before the patch tokens in the sequence (the class token)."""
        return 1 if self.with_cls_token else 0

    def no_weight_decay(self: nn.Module) -> set[str]:
        """Names of the parameters exempt from weight decay: the module's own tables
        (``pos_embed``, ``cls_token``, and e.g. a video subclass's ``time_embed``)."""
        return {name for name, _ in self.named_parameters(recurse=False)}

    def group_matcher(self, coarse: bool = False) -> dict[str, Any]:
        """timm: regexes grouping parameter names into the stem (everything before the
        blocks) and one group per block; the final norm joins the last block's group, as in
        timm's ViT."""
        blocks = r'^blocks\.(\d+)'
        return dict(stem=r'^(?!blocks\.|norm\.)',
                    blocks=blocks if coarse else [(blocks, None), (r'^norm\.', (99999,))])

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """timm: activation checkpointing of the blocks while training (``with_cp``)."""
        self.with_cp = enable

    def get_layer_depth(self, param_name: str, prefix: str = '') -> tuple[int, int]:
        """Layer id of a parameter for layer-wise learning-rate decay (mmpretrain's convention).

        Everything before the blocks (tokenizer with its scorer, positional tables, class
        token) is layer 0, block i is layer i + 1, the final norm and every parameter outside
        this backbone (neck, heads) is layer ``depth + 1``.

        Args:
            param_name: a parameter name of the whole model, e.g. ``'backbone.blocks.3.mlp.fc1.
                weight'``.
            prefix: this backbone's name prefix in the model, e.g. ``'backbone.'``.

        Returns:
            (layer id, number of layers = depth + 2).
        """
        num_layers = self.depth + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, num_layers
        if name.startswith('norm.'):
            return num_layers - 1, num_layers
        return 0, num_layers
