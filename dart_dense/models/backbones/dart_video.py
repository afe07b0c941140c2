"""DARTVideoViT: space-time ViT over DART region tokens with one token budget per clip."""
from typing import Any, Literal, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_
from mmengine.registry import MODELS
from torch import Tensor, nn

from dart_dense.structures import ClipTokens

from ..tokenizers.clip_tokenizer import BudgetSplit, ClipTokenizer
from .dart_vit import DARTViT

OutType = Literal['dense', 'avg', 'cls']


@MODELS.register_module()
class DARTVideoViT(DARTViT):
    """Video backbone: DART tokens per frame, one clip budget, joint space-time attention.

    A :class:`ClipTokenizer` tokenizes all frames with the frame tokenizer in one batched
    call; with a variable-budget tokenizer (``DARTTokenizer``) the clip budget N is split over
    the frames by their clip-standardized importance (content + motion, see
    :mod:`dart_dense.models.tokenizers.clip_tokenizer`). Each token gets the spatial
    positional table re-binned through its frame's layout plus a learned embedding of its frame
    index. timm ``Block`` s attend over all N tokens of the clip jointly (every clip has exactly
    N tokens, so no padding or mask is needed). With a ``GridTokenizer`` and
    ``budget_split='uniform'`` it is the fixed-grid joint space-time ViT baseline.

    Input and output follow mmaction2's ``Recognizer3D``: (B, C, T, H, W) in; with
    ``out_type='dense'`` (B, C, T', H/s, W/s) maps (T' = T / ``tubelet_size``) rendered from
    the tokens by area overlap (for ``I3DHead``), ``'avg'`` the mean token (B, C) and ``'cls'``
    the class token (B, C) (for ``TimeSformerHead``). One tensor per ``out_indices`` entry; a
    single entry returns the tensor itself, as mmaction2's heads expect.

    Args:
        num_frames: T, frames per clip of the learned temporal embedding; clips with another
            T use it linearly interpolated.
        tubelet_size: k frames per tubelet (ViViT / VideoMAE style): the k frames share one
            partition and budget and their patches are embedded together, so every token sees
            how its region changes (the projection has k × ``in_channels`` inputs). 1 (default)
            tokenizes every frame on its own; T must be a multiple of k.
        budget_split: ``'importance'`` or ``'uniform'`` (the comparison baseline).
        budget_power: frame shares ∝ importance mass**power (1: equal mass per token).
        motion_weight: weight of the motion term in the importance, in [0, 1].
        min_frame_tokens: fewest tokens any frame gets.
        max_frame_tokens: most tokens any frame gets: the static token slots every frame is
            partitioned with (default: its capacity, one per p×p patch; see
            :class:`ClipTokenizer`).
        out_type: ``'dense'`` | ``'avg'`` | ``'cls'`` (see above).
        img_size: nominal frame size (checks the per-frame budget at build time).
        with_cls_token: prepend one class token per clip.
        **kwargs: every other argument of :class:`DARTViT` (``arch``, ``patch_size``,
            ``tokenizer``, ``out_indices``, ``out_strides``, ``drop_path_rate``, ``with_cp``,
            ``frozen_stages``, ``init_cfg``, ...). ``in_channels`` counts the channels of one
            frame. The tokenizer's own budget (``num_tokens`` or ``token_ratio``) is the
            *average per frame (tubelet)*: the clip budget is T/k times it.
            ``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads an image DART / DeiT
            checkpoint (with tubelets its patch projection is inflated: repeated over the k
            frames and divided by k); the temporal embedding then starts at zero (the image
            model).
    """

    def __init__(self, num_frames: int = 8, tubelet_size: int = 1,
                 budget_split: BudgetSplit = 'importance',
                 budget_power: float = 1.0, motion_weight: float = 0.5,
                 min_frame_tokens: int = 1, max_frame_tokens: Optional[int] = None,
                 out_type: OutType = 'dense',
                 img_size: Union[int, Sequence[int]] = 224, in_channels: int = 3,
                 with_cls_token: bool = True, **kwargs: Any):
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'num_frames must be a positive int, got {num_frames!r}')
        if not isinstance(tubelet_size, int) or tubelet_size < 1 or num_frames % tubelet_size:
            raise ValueError(f'tubelet_size must be a positive int dividing num_frames='
                             f'{num_frames}, got {tubelet_size!r}')
        # the tokenizer embeds tubelets: k frames of in_channels each
        super().__init__(img_size=img_size, in_channels=tubelet_size * in_channels,
                         with_cls_token=with_cls_token, **kwargs)
        self.frame_channels = in_channels
        self.tubelet_size = tubelet_size
        units = num_frames // tubelet_size
        if out_type not in ('dense', 'avg', 'cls'):
            raise ValueError(f"out_type must be 'dense', 'avg' or 'cls', got {out_type!r}")
        if out_type == 'cls' and not with_cls_token:
            raise ValueError("out_type='cls' needs with_cls_token=True")
        self.num_frames = num_frames
        self.out_type = out_type
        # The frame tokenizer stays registered at `self.tokenizer` (checkpoint keys
        # `tokenizer.*`, freezing, image-checkpoint inflation); the ClipTokenizer wraps that
        # same module and is kept out of the module tree, so no parameter is registered twice.
        self.__dict__['clip_tokenizer'] = ClipTokenizer(
            self.tokenizer, budget_split=budget_split, budget_power=budget_power,
            motion_weight=motion_weight, min_frame_tokens=min_frame_tokens,
            max_frame_tokens=max_frame_tokens, tubelet_size=tubelet_size)
        # fail at build time on budgets the nominal clip cannot hold
        self.clip_tokens = self.clip_tokenizer.clip_budget(units, self.img_size)
        # one entry per tubelet (per frame when tubelet_size is 1)
        self.time_embed = nn.Parameter(torch.zeros(1, units, self.embed_dims))
        self._freeze_stages()

    def init_weights(self) -> None:
        super().init_weights()
        # from an image checkpoint the temporal embedding stays zero (the image model at
        # start); a config's own init_cfg decides for itself (see DARTViT.init_weights)
        if self.init_cfg is None:
            trunc_normal_(self.time_embed, std=0.02)

    def _freeze_stages(self) -> None:
        super()._freeze_stages()
        if self.frozen_stages >= 0 and hasattr(self, 'time_embed'):
            self.time_embed.requires_grad_(False)

    def temporal_embedding(self, num_units: int) -> Tensor:
        """(1, T', C) learned frame (tubelet) index embedding, interpolated if T' differs
        from the nominal ``num_frames / tubelet_size``."""
        if num_units == self.time_embed.shape[1]:
            return self.time_embed
        table = F.interpolate(self.time_embed.transpose(1, 2), size=num_units, mode='linear',
                              align_corners=False)
        return table.transpose(1, 2)

    def tokenize_clip(self, inputs: Tensor,
                      num_tokens: Optional[int] = None) -> tuple[Tensor, ClipTokens]:
        """(B, C, T, H, W) clips → (B, [1+]N, C) input sequences and the clip tokens."""
        if not isinstance(inputs, Tensor) or inputs.dim() != 5:
            shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
            raise ValueError(f'inputs must be (B, C, T, H, W) clips, got {shape}')
        if inputs.shape[1] != self.frame_channels:
            raise ValueError(f'clips have {inputs.shape[1]} channels, the backbone expects '
                             f'in_channels={self.frame_channels}')
        frames = inputs.transpose(1, 2)  # (B, T, C, H, W)
        clip = self.clip_tokenizer(frames, self.pos_table(), num_tokens)
        time = self.temporal_embedding(clip.num_frames)[0, clip.frame_index]  # (B, N, C)
        x = clip.tokens + time if clip.pos is None else clip.tokens + clip.pos + time
        return self.with_prefix_tokens(x), clip

    def _forward_clip(self, inputs: Tensor, indices: Sequence[int],
                      num_tokens: Optional[int]) -> tuple[Tensor, list[Tensor], ClipTokens]:
        """Tokenizer and blocks; the final sequence, the full sequences of ``indices``."""
        x, clip = self.tokenize_clip(inputs, num_tokens)
        x, kept = self.run_blocks(x, indices)
        return x, kept, clip

    def _format(self, x: Tensor, clip: ClipTokens, stride: int) -> Tensor:
        num_extra = 1 if self.with_cls_token else 0
        if self.out_type == 'cls':
            return x[:, 0]
        if self.out_type == 'avg':
            return x[:, num_extra:].mean(dim=1)
        return clip.render(x[:, num_extra:], stride)

    def forward_intermediates(
            self, inputs: Tensor, indices: Optional[Union[int, Sequence[int]]] = None,
            output_fmt: Literal['NCTHW', 'NLC'] = 'NCTHW', stride: Optional[int] = None,
            num_tokens: Optional[int] = None) -> tuple[Tensor, list[Tensor]]:
        """Final (normed) sequence and the selected blocks' patch tokens.

        Args:
            inputs: (B, C, T, H, W).
            indices: blocks to return (default ``out_indices``).
            output_fmt: ``'NCTHW'`` renders (B, C, T, H/s, W/s) at ``stride`` (default the
                first of ``out_strides``); ``'NLC'`` returns (B, N, C) patch tokens.
            num_tokens: clip budget override.
        """
        indices = self.out_indices if indices is None else self._check_out_indices(indices)
        if output_fmt not in ('NCTHW', 'NLC'):
            raise ValueError(f"output_fmt must be 'NCTHW' or 'NLC', got {output_fmt!r}")
        x, kept, clip = self._forward_clip(inputs, indices, num_tokens)
        num_extra = 1 if self.with_cls_token else 0
        kept = [k[:, num_extra:] for k in kept]
        if output_fmt == 'NLC':
            return x, kept
        return x, [clip.render(k, stride or self.out_strides[0]) for k in kept]

    def forward(self, inputs: Tensor,
                num_tokens: Optional[int] = None) -> Union[Tensor, tuple[Tensor, ...]]:
        """(B, C, T, H, W) clips → features per ``out_indices`` (see the class docstring).

        Args:
            inputs: (B, C, T, H, W) normalized clips (``format_shape='NCTHW'``).
            num_tokens: clip budget N for this call (default T × the per-frame budget).

        A :class:`~dart_dense.utils.token_recorder.TokenRecorder` records the budgets
        (B, T'), importance (B, T', h, w), per-token frame (tubelet) index (B, N) and the
        padded layout of the B·T' frames (tubelets) of a forward (T' = T / ``tubelet_size``).
        """
        _, kept, clip = self._forward_clip(inputs, self.out_indices, num_tokens)
        outs = tuple(self._format(x, clip, s) for x, s in zip(kept, self.out_strides))
        return outs[0] if len(outs) == 1 else outs
