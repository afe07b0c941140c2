from .dart_vit import ARCH_ZOO, DARTViT

__all__ = ['ARCH_ZOO', 'DARTViT']
