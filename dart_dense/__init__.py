"""dart_dense: content-adaptive region tokens (DART) as backbones for mmseg, mmdet and mmaction2.

Importing the package applies the runtime compatibility shims of
:mod:`dart_dense.utils.compat` first (they must run before torchvision is imported) and nothing
else: mmseg, mmdet and mmaction are imported only by the modules that need them.
"""
from .utils.compat import apply_compat

apply_compat()

__version__ = '0.1.0'

__all__ = ['__version__', 'apply_compat']
