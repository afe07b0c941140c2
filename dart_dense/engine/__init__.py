"""Training helpers for mmengine runners.

Importing this package registers the task-neutral parts (the layer-decay optimizer
constructor, the ``CompileModulesHook``; mmengine only). The visualization hooks need their toolbox and register through
their own modules, named in the configs' ``custom_imports``:
``dart_dense.engine.hooks.token_visualization_hook`` (mmseg) and
``dart_dense.engine.hooks.det_token_visualization_hook`` (mmdet).
"""
from .hooks.compile_hook import CompileModulesHook
from .optimizers import LayerDecayOptimWrapperConstructor

__all__ = ['CompileModulesHook', 'LayerDecayOptimWrapperConstructor']
