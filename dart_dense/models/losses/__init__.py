"""Losses (need mmseg): importing this package registers them in mmengine's root MODELS;
configs name it in ``custom_imports``."""
from .class_weighted_cross_entropy import ClassWeightedCrossEntropyLoss

__all__ = ['ClassWeightedCrossEntropyLoss']
