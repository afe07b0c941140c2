"""DARTViT: a plain ViT whose tokenizer is pluggable (DART regions or the fixed grid), with
dense multi-scale outputs rendered from the tokens through the layout."""
from typing import Literal, Optional, Sequence, Union

from mmengine.model import BaseModule
from mmengine.registry import MODELS
from mmengine.utils import to_2tuple
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from dart_dense.structures import TokenFeatures

from ..tokenizers import BaseTokenizer, TokenizerOutput
from .presets import ARCH_ZOO, OfficialPresetsMixin, resolve_arch
from .vit_trunk import ViTTrunkMixin

__all__ = ['ARCH_ZOO', 'DARTViT']


def _pair(value: Union[int, Sequence[int]], name: str) -> tuple[int, int]:
    """``to_2tuple`` (mmengine) with an error naming ``name`` for anything but an int or (h, w)."""
    pair = to_2tuple(value)
    if len(pair) != 2:
        raise ValueError(f'{name} must be an int or (h, w), got {value!r}')
    return int(pair[0]), int(pair[1])


@MODELS.register_module()
class DARTViT(ViTTrunkMixin, OfficialPresetsMixin, BaseModule):
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
            DeiT or dart_dense checkpoint through
            :func:`~dart_dense.utils.ckpt_convert.load_pretrained`; the missing and unexpected
            keys are logged, and a checkpoint that lacks ViT keys
            (patch projection, positional table, class token, blocks, final norm) is an error
            unless the config says ``strict=False``. Any other mmengine initializer config
            (dict or list) replaces the ViT default (truncated normal, std 0.02, for the block
            linears and the positional table).

    The ViT trunk (class token, positional table, blocks, timm / mmpretrain fine-tuning API)
    comes from :class:`ViTTrunkMixin`; :meth:`official` (:class:`OfficialPresetsMixin`)
    builds the official DART-T/S ImageNet models, which reproduce their checkpoints exactly.
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
        arch = resolve_arch(arch)
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

        pos_grid = _pair(pos_grid, 'pos_grid') if pos_grid is not None else (
            self.img_size[0] // patch_size, self.img_size[1] // patch_size)
        self._build_trunk(pos_grid, with_cls_token, mlp_ratio, drop_rate, attn_drop_rate,
                          drop_path_rate, qkv_bias, final_norm)

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
        self._freeze_stages()

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
        self._init_trunk_weights()

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

    # ------------------------------------------------------------------ forward
    def tokenize(self, images: Tensor, valid_hw=None,
                 num_tokens: Optional[int] = None) -> tuple[Tensor, TokenizerOutput]:
        """Images → (B, [1+]N, C) input sequence (positional embedding added)."""
        out = self.tokenizer(images, self.pos_table(), valid_hw=valid_hw, num_tokens=num_tokens)
        return self.with_prefix_tokens(out.tokens + out.pos), out

    def _forward_blocks(self, images: Tensor, indices: Sequence[int], valid_hw,
                        num_tokens: Optional[int]
                        ) -> tuple[Tensor, list[Tensor], TokenizerOutput]:
        """Run tokenizer and blocks; returns the final sequence, the patch tokens (B, N, C) of
        the requested blocks, and the tokenizer output (with the live, differentiable layout).
        """
        x, out = self.tokenize(images, valid_hw, num_tokens)
        x, kept = self.run_blocks(x, indices)
        kept = [k[:, self.num_prefix_tokens:] for k in kept]
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

        The backbone keeps no state: a :class:`~dart_dense.utils.token_recorder.TokenRecorder`
        records the layout and importance of a forward for visualization and analysis.
        """
        _, kept, out = self._forward_blocks(images, self.out_indices, valid_hw, num_tokens)
        if self.out_type == 'tokens':
            return tuple(TokenFeatures(t, out.layout) for t in kept)
        return tuple(out.layout.to_dense(t, s) for t, s in zip(kept, self.out_strides))

