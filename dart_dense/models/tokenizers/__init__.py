from .base_tokenizer import BaseTokenizer, TokenizerOutput
from .dart_tokenizer import DARTTokenizer
from .grid_tokenizer import GridTokenizer
from .importance import importance_from_logits
from .layout import TokenLayout
from .partition import default_num_rows, quantile_partition, quantiles

__all__ = ['BaseTokenizer', 'TokenizerOutput', 'DARTTokenizer', 'GridTokenizer',
           'TokenLayout', 'importance_from_logits', 'quantile_partition', 'quantiles',
           'default_num_rows']
