"""DARTViT: a plain ViT whose tokenizer is pluggable (DART regions or the fixed grid), with
dense multi-scale outputs rendered from the tokens through the layout."""
from typing import Any, Literal, Optional, Sequence, Union

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmengine.registry import MODELS
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from dart_dense.structures import TokenFeatures, TokenLayout

from ..tokenizers import BaseTokenizer, TokenizerOutput

# DeiT presets: embed_dims, depth, num_heads, mlp_ratio
ARCH_ZOO = {
    'tiny': dict(embed_dims=192, depth=12, num_heads=3, mlp_ratio=4.0),
    'small': dict(embed_dims=384, depth=12, num_heads=6, mlp_ratio=4.0),
    'base': dict(embed_dims=768, depth=12, num_heads=12, mlp_ratio=4.0),
}

# The official DART ImageNet models: DeiT arch → MobileNetV3 scorer trunk (DESIGN.md appendix).
OFFICIAL_SCORERS = {'tiny': 'small', 'small': 'large'}


def _pair(value: Union[int, Sequence[int]], name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    if len(value) != 2:
        raise ValueError(f'{name} must be an int or (h, w), got {value!r}')
    return int(value[0]), int(value[1])


@MODELS.register_module()
class DARTViT(BaseModule):
    """Vision Transformer over content-adaptive region tokens (DART) or the fixed grid.

    The tokenizer cuts the image into N tokens and reports their geometry (a
    :class:`TokenLayout`); the transformer blocks are timm's; at every ``out_indices`` block the
    patch tokens are rendered back to an NCHW map at ``out_strides`` by exact area overlap.

    Args:
        arch: ``'tiny'`` | ``'small'`` | ``'base'`` (DeiT presets) or a dict with
            ``embed_dims``, ``depth``, ``num_heads`` and optionally ``mlp_ratio``.
        img_size: nominal training size (int or (h, w)); used to check the token budget at
            build time and as the default positional grid (``img_size / patch_size``).
        patch_size: p, the side every token region is resampled to and embedded from.
        in_channels: image channels.
        tokenizer: tokenizer config (``DARTTokenizer`` or ``GridTokenizer``); ``in_channels``,
            ``embed_dims`` and ``patch_size`` are filled in.
        pos_grid: (h, w) of the learned positional table (covers the whole image whatever its
            size; re-binned onto the tokens). Default ``img_size // patch_size``.
        with_cls_token: prepend a class token (its output is dropped from dense maps).
        out_indices: blocks whose output is returned (negative counts from the end; may
            repeat, e.g. to render the last block at several strides).
        out_strides: output stride of each returned map (int for all, or one per index).
        out_type: ``'featmap'``: a tuple of NCHW maps (stock heads and necks);
            ``'tokens'``: a tuple of :class:`TokenFeatures` (tokens + layout, nothing rendered;
            ``out_strides`` unused) for token-space heads such as ``TokenMaskTransformerHead``.
        drop_rate, attn_drop_rate, drop_path_rate: dropout rates (stochastic depth rises
            linearly to ``drop_path_rate``).
        qkv_bias: bias in the qkv projection.
        final_norm: apply the final LayerNorm to the last block's output.
        with_cp: activation checkpointing of the blocks while training.
        frozen_stages: -1 none; 0 freezes the tokenizer, positional table and class token;
            k > 0 also freezes blocks ``0..k-1``.
        norm_eval: keep BatchNorm layers (e.g. in a conv scorer) in eval mode while training.
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` loads an official DART, timm /
            DeiT or dart_dense checkpoint through :func:`dart_dense.utils.load_pretrained`;
            the missing and unexpected keys are logged, and a checkpoint that lacks ViT keys
            (patch projection, positional table, class token, blocks, final norm) is an error
            unless the config says ``strict=False``. Any other mmengine initializer config
            (dict or list) replaces the ViT default (truncated normal, std 0.02, for the block
            linears and the positional table).

    :meth:`official` builds the configuration of the official DART-T/S ImageNet models
    (448 px input, 14×14 partition grid and positional table, batch-wide score
    standardization, corner sampling), which reproduces their checkpoints exactly.
    """

    def __init__(self,
                 arch: Union[Literal['tiny', 'small', 'base'], dict] = 'small',
                 img_size: Union[int, Sequence[int]] = 512,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 tokenizer: dict = dict(type='DARTTokenizer'),
                 pos_grid: Optional[Union[int, Sequence[int]]] = None,
                 with_cls_token: bool = True,
                 out_indices: Union[int, Sequence[int]] = -1,
                 out_strides: Union[int, Sequence[int]] = 16,
                 out_type: Literal['featmap', 'tokens'] = 'featmap',
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0,
                 qkv_bias: bool = True,
                 final_norm: bool = True,
                 with_cp: bool = False,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, list[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        from timm.models.vision_transformer import Block  # timm imports torchvision: lazy

        if isinstance(arch, str):
            if arch not in ARCH_ZOO:
                raise ValueError(f'arch must be one of {sorted(ARCH_ZOO)} or a dict, got {arch!r}')
            arch = ARCH_ZOO[arch]
        missing = {'embed_dims', 'depth', 'num_heads'} - set(arch)
        if missing:
            raise ValueError(f'arch dict is missing {sorted(missing)}')
        self.embed_dims = int(arch['embed_dims'])
        self.depth = int(arch['depth'])
        self.num_heads = int(arch['num_heads'])
        mlp_ratio = float(arch.get('mlp_ratio', 4.0))
        self.img_size = _pair(img_size, 'img_size')
        self.patch_size = patch_size

        tokenizer = dict(tokenizer)
        tokenizer.update(in_channels=in_channels, embed_dims=self.embed_dims,
                         patch_size=patch_size)
        self.tokenizer: BaseTokenizer = MODELS.build(tokenizer)
        # a budget the nominal image cannot hold is a config error: fail at build time
        self.num_tokens = self.tokenizer.num_tokens_for(self.img_size)

        self.pos_grid = _pair(pos_grid, 'pos_grid') if pos_grid is not None else (
            self.img_size[0] // patch_size, self.img_size[1] // patch_size)
        self.with_cls_token = with_cls_token
        num_extra = 1 if with_cls_token else 0
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims)) if with_cls_token \
            else None
        self.pos_embed = nn.Parameter(
            torch.zeros(1, num_extra + self.pos_grid[0] * self.pos_grid[1], self.embed_dims))
        self.pos_drop = nn.Dropout(drop_rate)

        dpr = torch.linspace(0, drop_path_rate, self.depth).tolist()
        self.blocks = nn.ModuleList([
            Block(self.embed_dims, self.num_heads, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                  proj_drop=drop_rate, attn_drop=attn_drop_rate, drop_path=dpr[i],
                  norm_layer=_layer_norm)
            for i in range(self.depth)])
        self.final_norm = final_norm
        self.norm = _layer_norm(self.embed_dims) if final_norm else nn.Identity()

        self.out_indices = self._check_out_indices(out_indices)
        if isinstance(out_strides, int):
            out_strides = [out_strides] * len(self.out_indices)
        if len(out_strides) != len(self.out_indices) or \
                any(not isinstance(s, int) or s < 1 for s in out_strides):
            raise ValueError('out_strides must be a positive int or one per out_indices entry, '
                             f'got {out_strides!r} for out_indices={self.out_indices}')
        self.out_strides = tuple(out_strides)
        if out_type not in ('featmap', 'tokens'):
            raise ValueError(f"out_type must be 'featmap' or 'tokens', got {out_type!r}")
        self.out_type = out_type
        self.with_cp = with_cp
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        if not -1 <= frozen_stages <= self.depth:
            raise ValueError(f'frozen_stages must be in [-1, {self.depth}], got {frozen_stages}')
        self.side_outputs: dict = {}
        self._freeze_stages()

    # ------------------------------------------------------------------ set-up helpers
    def _check_out_indices(self, out_indices: Union[int, Sequence[int]]) -> tuple[int, ...]:
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

    @property
    def feature_info(self) -> list[dict]:
        """timm-style: channels, reduction (stride) and source block of every output."""
        return [dict(num_chs=self.embed_dims, reduction=s, module=f'blocks.{i}')
                for i, s in zip(self.out_indices, self.out_strides)]

    def init_weights(self) -> None:
        if isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained':
            from dart_dense.utils.ckpt_convert import load_pretrained
            load_pretrained(self, self.init_cfg['checkpoint'],
                            strict=self.init_cfg.get('strict', True))
            # a checkpoint without a scorer trunk (timm / DeiT) leaves a frozen one untrained
            for module in self.modules():
                check = getattr(module, 'check_trunk_weights', None)
                if callable(check):
                    check()
            return
        super().init_weights()
        if self.init_cfg is not None:
            # the config's initializers (mmengine init_cfg) replace the ViT default below;
            # parameters they do not name keep PyTorch's defaults (embeddings: zeros)
            return
        trunc_normal_(self.pos_embed, std=0.02)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.blocks.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        frozen = [self.tokenizer, self.pos_drop]
        frozen += list(self.blocks[:self.frozen_stages])
        if self.frozen_stages == self.depth and self.final_norm:
            frozen.append(self.norm)
        for module in frozen:
            module.eval()
            module.requires_grad_(False)
        self.pos_embed.requires_grad_(False)
        if self.cls_token is not None:
            self.cls_token.requires_grad_(False)

    def train(self, mode: bool = True) -> 'DARTViT':
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # ------------------------------------------------------------------ fine-tuning API
    # timm's (no_weight_decay, group_matcher, set_grad_checkpointing, num_prefix_tokens) and
    # mmpretrain's (get_layer_depth, read by LayerDecayOptimWrapperConstructor)
    @property
    def num_prefix_tokens(self) -> int:
        """Tokens before the patch tokens in the sequence (the class token)."""
        return 1 if self.with_cls_token else 0

    def no_weight_decay(self) -> set[str]:
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

    # ------------------------------------------------------------------ official preset
    @classmethod
    def official_config(cls, arch: Literal['tiny', 'small'] = 'small', num_tokens: int = 196,
                        checkpoint: Optional[str] = None, **overrides: Any) -> dict:
        """The config of an official DART ImageNet model (DART-T or DART-S).

        Official parity needs all of: the 448 px nominal input (2× the "224" models), a 14×14
        partition grid and positional table, batch-wide score standardization and corner
        sampling (``official=True``), and the matching MobileNetV3 scorer. With the official
        checkpoint the features equal the official model's (tested against a transcription
        of the official algorithm in float64).

        Args:
            arch: ``'tiny'`` (DeiT-Ti + MobileNetV3-Small scorer) or ``'small'`` (DeiT-S +
                MobileNetV3-Large scorer).
            num_tokens: the budget N (official models: 196; long-sequence fine-tunes 288/392).
            checkpoint: optional path of an official checkpoint (``darvit-sm.pth`` …), loaded
                by ``init_weights`` (``init_cfg`` of type ``Pretrained``).
            **overrides: other :class:`DARTViT` arguments (``out_indices``, ``out_strides``…).

        Returns:
            a ``dict(type='DARTViT', ...)`` for ``MODELS.build`` or a config's backbone.
        """
        if arch not in OFFICIAL_SCORERS:
            raise ValueError(f'arch must be one of {sorted(OFFICIAL_SCORERS)} (the official DART '
                             f'models), got {arch!r}')
        cfg = dict(
            type=cls.__name__, arch=arch, img_size=448, patch_size=16, pos_grid=14,
            with_cls_token=True,
            tokenizer=dict(type='DARTTokenizer', num_tokens=num_tokens, official=True,
                           grid_size=(14, 14),
                           scorer=dict(type='MobileNetV3Scorer', arch=OFFICIAL_SCORERS[arch])))
        if checkpoint is not None:
            cfg['init_cfg'] = dict(type='Pretrained', checkpoint=checkpoint)
        cfg.update(overrides)
        return cfg

    @classmethod
    def official(cls, arch: Literal['tiny', 'small'] = 'small', num_tokens: int = 196,
                 checkpoint: Optional[str] = None, **overrides: Any) -> 'DARTViT':
        """An official DART-T/S model (see :meth:`official_config`), weights initialized
        (from ``checkpoint`` when given)."""
        model = MODELS.build(cls.official_config(arch, num_tokens, checkpoint, **overrides))
        model.init_weights()
        return model

    # ------------------------------------------------------------------ forward
    def pos_table(self) -> Tensor:
        """(1, C, h, w) positional table of the patch tokens (class entry excluded)."""
        num_extra = 1 if self.with_cls_token else 0
        table = self.pos_embed[:, num_extra:]
        return table.transpose(1, 2).reshape(1, self.embed_dims, *self.pos_grid)

    def tokenize(self, images: Tensor, valid_hw=None,
                 num_tokens: Optional[int] = None) -> tuple[Tensor, TokenizerOutput]:
        """Images → (B, [1+]N, C) input sequence (positional embedding added)."""
        out = self.tokenizer(images, self.pos_table(), valid_hw=valid_hw, num_tokens=num_tokens)
        x = out.tokens + out.pos
        if self.cls_token is not None:
            cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1)
        return self.pos_drop(x), out

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

    def _forward_blocks(self, images: Tensor, indices: Sequence[int], valid_hw,
                        num_tokens: Optional[int]
                        ) -> tuple[Tensor, list[Tensor], TokenizerOutput]:
        """Run tokenizer and blocks; returns the final sequence, the patch tokens (B, N, C) of
        the requested blocks, and the tokenizer output (with the live, differentiable layout).
        """
        x, out = self.tokenize(images, valid_hw, num_tokens)
        x, kept = self.run_blocks(x, indices)
        num_extra = 1 if self.with_cls_token else 0
        kept = [k[:, num_extra:] for k in kept]
        self.side_outputs = dict(
            layout=out.layout.detach(),
            scores=None if out.scores is None else out.scores.detach())
        return x, kept, out

    def forward_intermediates(
            self, images: Tensor, indices: Optional[Union[int, Sequence[int]]] = None,
            output_fmt: Literal['NCHW', 'NLC'] = 'NCHW', stride: Optional[int] = None,
            valid_hw=None, num_tokens: Optional[int] = None
    ) -> tuple[Tensor, list[Tensor]]:
        """timm-style: final (normed) sequence and the outputs of the selected blocks.

        Args:
            images: (B, C, H, W).
            indices: blocks to return (default ``out_indices``).
            output_fmt: ``'NCHW'`` renders patch tokens at ``stride`` (default the first of
                ``out_strides``); ``'NLC'`` returns (B, N, C) patch tokens.
            stride: output stride for ``'NCHW'``.
            valid_hw, num_tokens: passed to the tokenizer.

        Returns:
            (B, [1+]N, C) final sequence, and the list of intermediates.
        """
        indices = self.out_indices if indices is None else self._check_out_indices(indices)
        if output_fmt not in ('NCHW', 'NLC'):
            raise ValueError(f"output_fmt must be 'NCHW' or 'NLC', got {output_fmt!r}")
        x, kept, out = self._forward_blocks(images, indices, valid_hw, num_tokens)
        if output_fmt == 'NLC':
            return x, kept
        stride = stride or self.out_strides[0]
        return x, [out.layout.to_dense(t, stride) for t in kept]

    def forward(self, images: Tensor, valid_hw=None, num_tokens: Optional[int] = None
                ) -> Union[tuple[Tensor, ...], tuple[TokenFeatures, ...]]:
        """(B, C, H, W) → tuple of (B, C, ceil(H/s), ceil(W/s)) maps, one per out index
        (``out_type='tokens'``: one :class:`TokenFeatures` per out index instead).

        The layout and importance of this forward are kept (detached) in
        ``self.side_outputs`` for visualization and analysis.
        """
        _, kept, out = self._forward_blocks(images, self.out_indices, valid_hw, num_tokens)
        if self.out_type == 'tokens':
            return tuple(TokenFeatures(t, out.layout) for t in kept)
        return tuple(out.layout.to_dense(t, s) for t, s in zip(kept, self.out_strides))


def _layer_norm(dim: int, **kwargs) -> nn.LayerNorm:
    """LayerNorm with the ViT/DeiT epsilon (timm passes device/dtype keywords)."""
    return nn.LayerNorm(dim, eps=1e-6, **kwargs)
