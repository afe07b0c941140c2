"""TokenSegformerHead: SegFormer's all-MLP decoder on several blocks' region tokens.

SegFormer (Xie et al., NeurIPS 2021, arXiv 2105.15203) projects each pyramid level with a
1×1 convolution, upsamples all to stride 4, fuses the concatenation with one more 1×1
convolution and classifies per pixel. On rendered DART maps every one of those steps is
per-position, and rendering (exact area overlap) is linear, so the same decoder can run on the
N region tokens of several blocks, which share one layout: per-level projection, fusion and
classification per token, then one render of the (B, N, K) class logits. Its cost is O(N·C),
nothing at stride 4 but the K-channel logit map.
"""
from typing import Sequence

from mmengine.registry import MODELS
from mmseg.models.decode_heads import SegformerHead
from torch import Tensor

from dart_dense.structures import TokenFeatures

from .token_inputs import check_render_stride, map_as_tokens, select_token_sets, tokens_as_map


@MODELS.register_module()
class TokenSegformerHead(SegformerHead):
    """mmseg's ``SegformerHead`` on (B, N, C_i) region tokens; logits rendered by the layout.

    Input: the backbone's ``DARTViT(out_type='tokens')`` tuple of TokenFeatures; ``in_index``
    picks the blocks (a sequence, one ``in_channels`` entry each), as SegformerHead picks
    pyramid levels. Every layer is mmseg's (1×1 ``ConvModule`` projections with ``norm_cfg``
    and ``act_cfg``, the fusion convolution, dropout and classifier), applied to the tokens as
    (B, C, 1, N) maps, i.e. per token; the norm is then a per-token batch norm. Output:
    (B, K, ceil(H/s), ceil(W/s)) class logits at s = ``render_stride``, an ordinary mmseg
    ``seg_logits`` map.

    Args:
        render_stride: output stride of the rendered logits (4 as UperNet's output).
        **kwargs: ``SegformerHead`` arguments (``in_channels`` and ``in_index`` as sequences,
            ``channels``, ``num_classes``, ``norm_cfg``, losses, ...).
    """

    def __init__(self, render_stride: int = 4, **kwargs):
        check_render_stride(render_stride)  # before building the layers
        super().__init__(**kwargs)
        self.render_stride = render_stride

    def _transform_inputs(self, inputs: Sequence[TokenFeatures]) -> list[Tensor]:
        """mmseg's input hook: the selected blocks' tokens as (B, C_i, 1, N) maps (the stock
        forward's resize to the first level's size is then the identity)."""
        selected = select_token_sets(inputs, self.in_index, type(self).__name__)
        return [tokens_as_map(f.tokens) for f in selected]

    def forward_tokens(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tuple of TokenFeatures → (B, N, K) per-token class logits (nothing rendered)."""
        return map_as_tokens(super().forward(inputs))

    def forward(self, inputs: Sequence[TokenFeatures]) -> Tensor:
        """Tuple of TokenFeatures → (B, K, ceil(H/s), ceil(W/s)) rendered class logits."""
        logits = self.forward_tokens(inputs)  # checks that the inputs are tokens
        return inputs[self.in_index[-1]].layout.to_dense(logits, self.render_stride)
