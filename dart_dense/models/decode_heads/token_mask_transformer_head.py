"""TokenMaskTransformerHead: Segmenter's mask transformer over region tokens, rendered exactly.

Segmenter (Strudel et al., ICCV 2021, arXiv 2105.05633) decodes a ViT's patch tokens together
with one learned embedding per class and scores every patch against every class. A stride-16
grid head then upsamples its patch logits bilinearly. DART's tokens are regions of varying size
that carry their own geometry, so this head does the same decoding on the N region tokens and
renders only the (B, N, K) class logits through the layout (exact area overlap,
``TokenLayout.to_dense``): its cost is that of the N + K token transformer plus one render,
with nothing at stride 4 but the K-channel logit map itself, and boundaries are as fine as the
tokens are where the image is busy.
"""
from typing import Sequence, Union

import torch
from mmengine.registry import MODELS
from mmseg.models.decode_heads import SegmenterMaskTransformerHead
from torch import Tensor

from dart_dense.structures import TokenFeatures

from .token_inputs import check_render_stride, map_as_tokens, select_token_sets, tokens_as_map


@MODELS.register_module()
class TokenMaskTransformerHead(SegmenterMaskTransformerHead):
    """Segmenter's mask transformer on (B, N, C) region tokens; logits rendered by the layout.

    Input: the backbone's ``DARTViT(out_type='tokens')`` output, a tuple of
    :class:`~dart_dense.models.backbones.TokenFeatures`; ``in_index`` picks one (default the
    last) or several blocks' tokens, concatenated along channels (they share the forward's
    layout; as UperNet fuses several levels, but without leaving token space).

    Output: (B, K, ceil(H/s), ceil(W/s)) class logits with s = ``render_stride``, an ordinary
    mmseg ``seg_logits`` map, so mmseg's losses (which resize it to the labels), ``IoUMetric``
    and ``inference_model`` work unchanged. Gradients reach the tokenizer's scorer through the
    render's geometry as well as through the tokens.

    Every layer is mmseg's own (``SegmenterMaskTransformerHead``: its transformer layers, class
    embeddings, projections, norms and initialization): only the input (tokens instead of an
    NCHW map) and the output (rendered instead of reshaped to the patch grid) differ.

    Args:
        render_stride: output stride of the rendered logits (4 as UperNet's output; 1 renders
            at full resolution, K·H·W values per image).
        in_index: which token set(s) of the backbone's tuple to decode: an int, or a sequence
            whose tokens are concatenated (``in_channels`` is then the sum of their widths).
        **kwargs: ``SegmenterMaskTransformerHead`` arguments (``in_channels``, ``num_layers``,
            ``num_heads``, ``embed_dims``, ``channels``, ``num_classes``, losses, ...).
    """

    def __init__(self, render_stride: int = 4, in_index: Union[int, Sequence[int]] = -1,
                 **kwargs):
        check_render_stride(render_stride)
        indices = (in_index, ) if isinstance(in_index, int) else tuple(in_index)
        transform = kwargs.get('input_transform')
        if not indices or not all(isinstance(i, int) for i in indices) or \
                transform is not None or not isinstance(kwargs.get('in_channels'), int):
            raise ValueError(
                'TokenMaskTransformerHead concatenates token sets itself: in_index must be an '
                'int or a sequence of ints, in_channels one int (the summed width) and '
                f'input_transform None; got in_index={in_index!r}, in_channels='
                f'{kwargs.get("in_channels")!r}, input_transform={transform!r}')
        # mmseg's single-input mode; the token sets are selected here
        super().__init__(in_index=indices[-1], **kwargs)
        self.token_indices = indices
        self.render_stride = render_stride

    def _token_features(self, inputs: Sequence[TokenFeatures]) -> TokenFeatures:
        """The selected token set(s) as one TokenFeatures (channels concatenated)."""
        selected = select_token_sets(inputs, self.token_indices, type(self).__name__)
        tokens = selected[0].tokens if len(selected) == 1 else \
            torch.cat([f.tokens for f in selected], dim=-1)
        if tokens.shape[-1] != self.in_channels:
            raise ValueError(f'in_channels={self.in_channels} but the selected token sets '
                             f'(in_index={self.token_indices}) have {tokens.shape[-1]} channels')
        return TokenFeatures(tokens, selected[-1].layout)

    def _transform_inputs(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """mmseg's input hook, given ``[features]`` by :meth:`_decode`: the tokens as the
        (B, C, 1, N) map that the stock forward flattens back to (B, N, C) in order."""
        return tokens_as_map(inputs[0].tokens)

    def _decode(self, features: TokenFeatures) -> Tensor:
        """(B, N, K) per-token class logits: mmseg's Segmenter forward on the N tokens."""
        masks = super().forward([features])  # (B, K, 1, N)
        return map_as_tokens(masks)

    def forward_tokens(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tuple of TokenFeatures → (B, N, K) per-token class logits (nothing rendered)."""
        return self._decode(self._token_features(inputs))

    def forward(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tuple of TokenFeatures → (B, K, ceil(H/s), ceil(W/s)) rendered class logits."""
        features = self._token_features(inputs)
        return features.layout.to_dense(self._decode(features), self.render_stride)
