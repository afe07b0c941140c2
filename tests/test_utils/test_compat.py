"""The runtime compatibility shims (dart_dense.utils.compat), each checked in a fresh process."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    """Runs ``code`` in a fresh interpreter; returns stdout, fails the test on a non-zero exit."""
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f'stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}'
    return proc.stdout


def test_stack_imports_after_dart_dense() -> None:
    """timm, torchvision models and mmaction's registration work once dart_dense is imported."""
    out = run_python("""
        import sys
        import dart_dense
        heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('mmseg', 'mmdet', 'mmaction'))
        print('eager', heavy)
        import timm, torchvision
        model = torchvision.models.mobilenet_v3_small(weights=None)
        print('mobilenet', type(model).__name__)
        print('timm', type(timm.create_model('resnet18', pretrained=False)).__name__)
        from mmaction.utils import register_all_modules
        register_all_modules()
        from mmaction.registry import MODELS
        print('recognizer', MODELS.get('Recognizer3D').__name__)
        print('second_call', dart_dense.apply_compat())
    """)
    assert 'eager []' in out  # importing dart_dense stays cheap: no toolbox imported
    assert 'mobilenet MobileNetV3' in out
    assert 'timm ResNet' in out
    assert 'recognizer Recognizer3D' in out
    assert "second_call {'torchvision_ops': False, 'mmaction_drn': False}" in out


def test_torchvision_patch_switches_off_when_ops_exist() -> None:
    """Where torchvision's operators are already defined (a working extension), nothing is done.

    A FRAGMENT library defining both operators stands in for a matching torchvision ``_C``.
    """
    out = run_python("""
        import torch
        lib = torch.library.Library('torchvision', 'FRAGMENT')
        lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
        lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
        import dart_dense
        from dart_dense.utils import compat
        print('lib', compat._torchvision_lib)
    """)
    assert 'lib None' in out


def test_torchvision_patch_defines_missing_schemas() -> None:
    """Without a loadable extension the two schemas are defined, exactly as torchvision's."""
    out = run_python("""
        import torch
        import dart_dense
        from dart_dense.utils import compat
        print('lib', compat._torchvision_lib is not None)
        print('nms', torch.ops.torchvision.nms.default._schema)
        print('qnms', torch.ops.torchvision.qnms.default._schema)
    """)
    if 'lib False' in out:
        pytest.skip('torchvision extension loads on this machine: the patch is (rightly) off')
    for name in ('nms', 'qnms'):
        schema = f'torchvision::{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'
        assert f'{name} {schema}' in out


def _fake_mmaction(root: Path, with_drn: bool) -> None:
    """A minimal stand-in for the mmaction package tree, with or without the drn files."""
    localizers = root / 'mmaction' / 'models' / 'localizers'
    localizers.mkdir(parents=True)
    (root / 'mmaction' / '__init__.py').write_text('')
    (root / 'mmaction' / 'models' / '__init__.py').write_text('')
    (localizers / '__init__.py').write_text('from .drn.drn import DRN\n')
    if with_drn:
        (localizers / 'drn').mkdir()
        (localizers / 'drn' / '__init__.py').write_text('')
        (localizers / 'drn' / 'drn.py').write_text("DRN = 'real DRN'\n")


@pytest.mark.parametrize('with_drn', [True, False])
def test_drn_stub_only_when_missing(tmp_path: Path, with_drn: bool) -> None:
    """The real drn module wins where it exists; elsewhere a stub whose DRN refuses to build."""
    _fake_mmaction(tmp_path, with_drn)
    env = {'PYTHONPATH': f'{tmp_path}:{REPO_ROOT}', 'PATH': '/usr/bin:/bin'}
    out = run_python("""
        import dart_dense
        import mmaction.models.localizers as loc
        print('drn', loc.DRN)
        if isinstance(loc.DRN, type):
            try:
                loc.DRN()
            except ImportError as err:
                print('refused', 'mmaction2 1.2.0' in str(err))
    """, env=env)
    if with_drn:
        assert 'drn real DRN' in out
    else:
        assert 'drn <class' in out and 'refused True' in out
