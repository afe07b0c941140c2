"""Per-task imports: the task-neutral packages work where no toolbox (mmseg, mmdet, mmaction) can
be imported, and each task's modules need only their own toolbox.

Each check runs in a fresh interpreter whose import system refuses the blocked toolboxes (a
``sys.meta_path`` finder raising ModuleNotFoundError), as where they are not installed.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKER = '''
import importlib.abc, sys

class Blocked(importlib.abc.MetaPathFinder):
    """Refuses the named top-level packages and their submodules."""
    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split('.')[0] in self.names:
            raise ModuleNotFoundError(f'No module named {fullname!r} (blocked)', name=fullname)
        return None

sys.meta_path.insert(0, Blocked(BLOCKED_NAMES))
'''


def _run(code: str, blocked: tuple[str, ...], env: dict[str, str]) -> str:
    """Runs ``code`` in a fresh interpreter with ``blocked`` packages unimportable."""
    program = BLOCKER.replace('BLOCKED_NAMES', repr(blocked)) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, '-c', program], env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def test_models_build_and_run_without_any_toolbox(subprocess_env):
    out = _run('''
        import sys
        import torch
        from mmengine.registry import MODELS
        import dart_dense.models  # noqa: F401

        backbone = MODELS.build(dict(
            type='DARTViT', arch=dict(embed_dims=32, depth=2, num_heads=2), img_size=64,
            patch_size=8, out_indices=(0, 1), out_strides=(8, 16),
            tokenizer=dict(type='DARTTokenizer', num_tokens=24,
                           scorer=dict(type='ConvScorer', channels=(8, 8)))))
        neck = MODELS.build(dict(type='TokenPyramid', in_channels=[32, 32], out_channels=16))
        feats = neck(backbone(torch.randn(2, 3, 64, 48)))
        print('shapes', [tuple(f.shape) for f in feats])
        assert MODELS.get('DARTTwoStageDetector') is None  # registers through its own module
        loaded = {m.split('.')[0] for m in sys.modules} & {'mmseg', 'mmdet', 'mmaction'}
        print('loaded', sorted(loaded))
    ''', ('mmseg', 'mmdet', 'mmaction'), subprocess_env)
    assert 'shapes [(2, 16, 8, 6), (2, 16, 4, 3)]' in out
    assert 'loaded []' in out


def test_engine_needs_no_toolbox(subprocess_env):
    """The optimizer constructor registers with mmengine alone; the hooks are opt-in modules."""
    out = _run('''
        from mmengine.registry import HOOKS, OPTIM_WRAPPER_CONSTRUCTORS
        import dart_dense.engine  # noqa: F401
        import dart_dense.engine.hooks  # noqa: F401

        print(OPTIM_WRAPPER_CONSTRUCTORS.get('LayerDecayOptimWrapperConstructor').__name__)
        print(HOOKS.get('TokenVisualizationHook'), HOOKS.get('DetTokenVisualizationHook'))
    ''', ('mmseg', 'mmdet', 'mmaction'), subprocess_env)
    assert 'LayerDecayOptimWrapperConstructor\nNone None' in out


def test_segmentation_hook_needs_no_mmdet(subprocess_env):
    out = _run('''
        from mmengine.registry import HOOKS
        import dart_dense.engine.hooks.token_visualization_hook  # noqa: F401
        print(HOOKS.get('TokenVisualizationHook').__name__)
    ''', ('mmdet', 'mmaction'), subprocess_env)
    assert 'TokenVisualizationHook' in out


def test_detection_modules_register_the_detectors_and_hook(subprocess_env):
    out = _run('''
        from mmengine.registry import HOOKS, MODELS
        import dart_dense.models.detectors  # noqa: F401
        import dart_dense.engine.hooks.det_token_visualization_hook  # noqa: F401
        print(MODELS.get('DARTTwoStageDetector').__name__,
              HOOKS.get('DetTokenVisualizationHook').__name__)
    ''', ('mmseg', 'mmaction'), subprocess_env)
    assert 'DARTTwoStageDetector DetTokenVisualizationHook' in out
