from .layer_norm_2d import LayerNorm2d
from .pyramid_projection import PyramidProjection
from .simple_pyramid import SimplePyramid
from .token_pyramid import TokenPyramid

__all__ = ['LayerNorm2d', 'PyramidProjection', 'SimplePyramid', 'TokenPyramid']
