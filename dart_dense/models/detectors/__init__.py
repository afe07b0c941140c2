from .padding_aware import (DARTSingleStageDetector, DARTTwoStageDetector, PaddingAwareMixin,
                            valid_sizes)

__all__ = ['DARTSingleStageDetector', 'DARTTwoStageDetector', 'PaddingAwareMixin',
           'valid_sizes']
