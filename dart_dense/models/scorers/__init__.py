from .base_scorer import BaseScorer
from .conv_scorer import ConvScorer
from .gradient_energy import GradientEnergyScorer
from .mobilenet_v3 import MobileNetV3Scorer, ScoreMLP

__all__ = ['BaseScorer', 'ConvScorer', 'GradientEnergyScorer', 'MobileNetV3Scorer',
           'ScoreMLP']
