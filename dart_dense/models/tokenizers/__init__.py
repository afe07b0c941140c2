from .base_tokenizer import BaseTokenizer, TokenizerOutput
from .budget_allocation import split_budget
from .clip_importance import clip_importance, motion_logits
from .clip_tokenizer import ClipTokenizer
from .dart_tokenizer import DARTTokenizer
from .grid_tokenizer import GridTokenizer
from .importance import importance_from_logits
from .partition import default_num_rows, quantile_partition, quantiles

__all__ = ['BaseTokenizer', 'TokenizerOutput', 'DARTTokenizer', 'GridTokenizer',
           'ClipTokenizer', 'split_budget', 'clip_importance', 'motion_logits',
           'importance_from_logits', 'quantile_partition', 'quantiles',
           'default_num_rows']
