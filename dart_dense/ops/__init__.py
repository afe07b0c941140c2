from .region_resample import resample_bands, resample_regions
from .render import render_tokens
from .strip import overlap_1d, strip_integral

__all__ = ['resample_bands', 'resample_regions', 'render_tokens', 'overlap_1d',
           'strip_integral']
