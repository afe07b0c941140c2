from .dart_video import DARTVideoViT
from .dart_vit import DARTViT
from .presets import ARCH_ZOO

__all__ = ['ARCH_ZOO', 'DARTViT', 'DARTVideoViT']
