"""Environment compatibility, checkpoint loading and distributed helpers.

Only the light-weight compatibility shim is imported eagerly; the checkpoint and distributed
helpers live in their own modules (``dart_dense.utils.checkpoint``, ``dart_dense.utils.dist``)
so that ``import dart_dense`` stays cheap.
"""
from .compat import apply_compat

__all__ = ['apply_compat']
