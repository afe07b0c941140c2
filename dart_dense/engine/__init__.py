"""Training/testing helpers for mmengine runners; importing it registers the hooks."""
from .hooks import TokenVisualizationHook

__all__ = ['TokenVisualizationHook']
