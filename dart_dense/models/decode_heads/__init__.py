from .token_mask_transformer_head import TokenMaskTransformerHead
from .token_segformer_head import TokenSegformerHead

__all__ = ['TokenMaskTransformerHead', 'TokenSegformerHead']
