from .det_token_visualization_hook import DetTokenVisualizationHook  # noqa: F401 (registers it)
from .token_visualization_hook import TokenVisualizationHook

__all__ = ['TokenVisualizationHook']
