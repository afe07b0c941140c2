from .token_mask_transformer_head import TokenMaskTransformerHead

__all__ = ['TokenMaskTransformerHead']
