from .dart_video import DARTVideoViT
from .dart_vit import ARCH_ZOO, DARTViT

__all__ = ['ARCH_ZOO', 'DARTViT', 'DARTVideoViT']
