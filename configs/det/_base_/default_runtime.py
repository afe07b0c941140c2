# mmdet's runtime with DetTokenVisualizationHook in place of DetVisualizationHook: the same
# pictures plus the token regions and importance (tools/test.py --show-dir turns it on). The
# hook is registered by dart_dense.engine.hooks.det_token_visualization_hook,
# which the DART model bases import.
_base_ = ['mmdet::_base_/default_runtime.py']
default_hooks = dict(visualization=dict(type='DetTokenVisualizationHook'))
