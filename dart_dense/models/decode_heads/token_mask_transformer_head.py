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
from typing import Sequence

from mmengine.registry import MODELS
from mmseg.models.decode_heads import SegmenterMaskTransformerHead
from torch import Tensor

from ..backbones.dart_vit import TokenFeatures


@MODELS.register_module()
class TokenMaskTransformerHead(SegmenterMaskTransformerHead):
    """Segmenter's mask transformer on (B, N, C) region tokens; logits rendered by the layout.

    Input: the backbone's ``DARTViT(out_type='tokens')`` output, a tuple of
    :class:`~dart_dense.models.backbones.TokenFeatures`; ``in_index`` picks one (default the
    last). Output: (B, K, ceil(H/s), ceil(W/s)) class logits with s = ``render_stride``, an
    ordinary mmseg ``seg_logits`` map, so mmseg's losses (which resize it to the labels),
    ``IoUMetric`` and ``inference_model`` work unchanged. Gradients reach the tokenizer's scorer
    through the render's geometry as well as through the tokens.

    Every layer is mmseg's own (``SegmenterMaskTransformerHead``: its transformer layers, class
    embeddings, projections, norms and initialization): only the input (tokens instead of an
    NCHW map) and the output (rendered instead of reshaped to the patch grid) differ.

    Args:
        render_stride: output stride of the rendered logits (4 as UperNet's output; 1 renders
            at full resolution, K·H·W values per image).
        **kwargs: ``SegmenterMaskTransformerHead`` arguments (``in_channels``, ``num_layers``,
            ``num_heads``, ``embed_dims``, ``channels``, ``num_classes``, losses, ...).
    """

    def __init__(self, render_stride: int = 4, **kwargs):
        if not isinstance(render_stride, int) or isinstance(render_stride, bool) or \
                render_stride < 1:
            raise ValueError(f'render_stride must be a positive int, got {render_stride!r}')
        in_index, transform = kwargs.get('in_index', -1), kwargs.get('input_transform')
        if not isinstance(in_index, int) or transform is not None:
            raise ValueError('TokenMaskTransformerHead reads one token set: in_index must be an '
                             f'int and input_transform None, got in_index={in_index!r}, '
                             f'input_transform={transform!r}')
        super().__init__(**kwargs)
        self.render_stride = render_stride

    def _token_features(self, inputs: Sequence[TokenFeatures]) -> TokenFeatures:
        features = inputs[self.in_index]
        if not isinstance(features, TokenFeatures):
            raise TypeError(
                'TokenMaskTransformerHead needs tokens and their layout: set the backbone\'s '
                "out_type='tokens' (DARTViT) and no neck; got inputs of type "
                f'{type(features).__name__}')
        return features

    def _transform_inputs(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tokens as the (B, C, 1, N) map the stock forward flattens back to (B, N, C) in order."""
        return self._token_features(inputs).tokens.transpose(1, 2).unsqueeze(2)

    def forward_tokens(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """(B, N, K) per-token class logits (mmseg's Segmenter forward on the N tokens)."""
        masks = super().forward(inputs)  # (B, K, 1, N)
        return masks.squeeze(2).transpose(1, 2)

    def forward(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tuple of TokenFeatures → (B, K, ceil(H/s), ceil(W/s)) rendered class logits."""
        layout = self._token_features(inputs).layout
        return layout.to_dense(self.forward_tokens(inputs), self.render_stride)
