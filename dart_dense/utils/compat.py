"""Runtime compatibility shims for the pinned CPU stack (see ENVIRONMENT.md, items 1-2).

Two upstream breakages are worked around here, each only where it actually occurs, so that on
a machine with a matching build (e.g. CUDA torch + its torchvision) nothing changes:

1. ``torchvision`` 0.28 from PyPI is a CUDA build whose ``_C`` extension cannot load next to
   CPU torch. ``torchvision/_meta_registrations.py`` then registers fake kernels for the
   ``torchvision::nms`` / ``torchvision::qnms`` operators, which do not exist, and
   ``import torchvision`` (hence ``import timm``) fails. We define the two operator schemas,
   without kernels, before torchvision is first imported. torchvision's Python code works
   afterwards; its C++ ops still raise when called (use ``mmcv.ops`` instead).
2. The ``mmaction2`` 1.2.0 wheel lacks ``mmaction/models/localizers/drn/`` although
   ``mmaction/models/localizers/__init__.py`` imports it, so ``mmaction.utils
   .register_all_modules()`` (and mmengine's scope import) fails. A last-resort import finder
   serves stub modules for exactly those two names; Python only asks it when the real files
   are missing.

Nothing else global is touched. :func:`apply_compat` is idempotent and cheap: it imports
torch (needed by everything in the package anyway) but never mmseg, mmdet or mmaction.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence
from pathlib import Path

__all__ = ['apply_compat', 'TORCHVISION_OP_SCHEMAS', 'DRN_STUB_MODULES']

# Schemas as torchvision's own C++ library defines them (csrc/ops/nms.cpp and the quantized
# qnms kernel); its _meta_registrations.py registers fakes for exactly these two.
TORCHVISION_OP_SCHEMAS: dict[str, str] = {
    'nms': 'nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor',
    'qnms': 'qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor',
}

DRN_STUB_MODULES: tuple[str, ...] = (
    'mmaction.models.localizers.drn',
    'mmaction.models.localizers.drn.drn',
)

# Keeps the schema definitions alive: a torch.library.Library deregisters on destruction.
_torchvision_lib = None
_applied = False


def _torchvision_has_op(name: str) -> bool:
    """Whether ``torch.ops.torchvision.<name>`` is a defined operator."""
    import torch

    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _try_load_torchvision_extension(package_dirs: Sequence[str]) -> None:
    """Loads torchvision's ``_C`` extension the way ``torchvision.extension`` would.

    Where it loads (a matching build), it defines the real operators and we must not define
    them a second time; where it does not, loading fails without side effects.
    """
    import torch

    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    for directory in package_dirs:
        for suffix in suffixes:
            candidate = Path(directory) / f'_C{suffix}'
            if candidate.is_file():
                try:
                    torch.ops.load_library(str(candidate))
                except (OSError, ImportError, RuntimeError):
                    pass
                return


def _patch_torchvision_ops() -> bool:
    """Defines the missing ``torchvision::nms``/``qnms`` schemas before torchvision loads.

    Returns:
        bool: True if schemas were defined here, False if nothing was needed (torchvision not
        installed, already imported, or its extension provides the operators).
    """
    global _torchvision_lib
    if 'torchvision' in sys.modules:
        # Imported already (then it worked, or it is too late to help): leave it alone.
        return False
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return False
    if all(_torchvision_has_op(name) for name in TORCHVISION_OP_SCHEMAS):
        return False
    _try_load_torchvision_extension(list(spec.submodule_search_locations))
    missing = [name for name in TORCHVISION_OP_SCHEMAS if not _torchvision_has_op(name)]
    if not missing:
        return False

    import torch

    if _torchvision_lib is None:
        # torchvision's own C++ code registers with TORCH_LIBRARY_FRAGMENT, so a 'DEF' library
        # does not clash with it; it fails loudly if something else already owns the namespace.
        _torchvision_lib = torch.library.Library('torchvision', 'DEF')
    for name in missing:
        _torchvision_lib.define(TORCHVISION_OP_SCHEMAS[name])
    return True


class _DRNUnavailable:
    """Placeholder for mmaction2's ``DRN`` localizer, missing from the 1.2.0 wheel.

    Raises:
        ImportError: always, on construction.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise ImportError(
            'mmaction2 1.2.0 is installed without mmaction/models/localizers/drn/, so the DRN '
            'localizer is unavailable; dart_dense only stubs it so that the rest of mmaction '
            'can be registered.')


class _DRNStubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves stub modules for mmaction2's missing ``drn`` package, and nothing else.

    It is appended to the end of ``sys.meta_path``, so Python asks it only after the normal
    finders failed, i.e. only where the real files are missing.
    """

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Returns a stub spec for the two ``drn`` module names, None otherwise."""
        if fullname not in DRN_STUB_MODULES:
            return None
        is_package = fullname == DRN_STUB_MODULES[0]
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)
        if is_package:
            spec.submodule_search_locations = []
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        """Uses Python's default module creation."""
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        """Fills the stub: the inner module exposes ``DRN`` like the real one."""
        module.__doc__ = 'Stub installed by dart_dense.utils.compat (missing in mmaction2 1.2.0).'
        if module.__name__ == DRN_STUB_MODULES[1]:
            module.DRN = _DRNUnavailable
            module.__all__ = ['DRN']


def _install_drn_stub() -> bool:
    """Appends the ``drn`` stub finder to ``sys.meta_path`` once.

    Returns:
        bool: True if the finder was installed by this call.
    """
    if any(isinstance(finder, _DRNStubFinder) for finder in sys.meta_path):
        return False
    sys.meta_path.append(_DRNStubFinder())
    return True


def apply_compat() -> dict[str, bool]:
    """Applies every compatibility shim that this machine needs; idempotent.

    Returns:
        dict[str, bool]: which shims were activated by this call (``torchvision_ops``,
        ``mmaction_drn``); all False on a second call.
    """
    global _applied
    if _applied:
        return {'torchvision_ops': False, 'mmaction_drn': False}
    result = {
        'torchvision_ops': _patch_torchvision_ops(),
        'mmaction_drn': _install_drn_stub(),
    }
    _applied = True
    return result
