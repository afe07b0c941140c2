"""Classes registered in mmengine's root MODELS are found by mmseg, mmdet and mmaction builds."""
from __future__ import annotations

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.utils import import_modules_from_strings

import dart_dense  # noqa: F401  (compat shims: mmaction's registration needs them)


@pytest.fixture(scope='module')
def custom_imports_done() -> None:
    """Does what a config's ``custom_imports`` makes the runner do."""
    cfg = Config(dict(custom_imports=dict(imports=['dart_dense.models'],
                                          allow_failed_imports=False)))
    import_modules_from_strings(**cfg.custom_imports)


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet', 'mmaction'])
def test_downstream_registry_builds_dart_dense_class(scope: str, custom_imports_done: None) -> None:
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    assert registry.parent is ROOT_MODELS  # the mechanism: a child of the root registry
    assert 'LN2d' not in registry.module_dict  # registered once, in the root, not per toolbox
    layer = registry.build(dict(type='LN2d', num_channels=4))
    assert type(layer) is ROOT_MODELS.get('LN2d')
    assert type(layer).__module__.startswith('timm.layers')  # registered by dart_dense.models
    assert layer.normalized_shape == (4,)
