"""The package's layers: nothing below ``dart_dense.models`` imports it.

``ops`` (kernels), ``structures`` (the token contracts), ``utils`` and ``visualization`` are
used by the models, hooks and tools; an import of ``dart_dense.models`` from them would run
back up the layers (and makes import cycles). Checked on the source (AST), so an import inside
a function counts too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'dart_dense'
LOWER_LAYERS = ('ops', 'structures', 'utils', 'visualization')
FORBIDDEN = 'dart_dense.models'


def package_of(path: Path) -> tuple[str, ...]:
    """The package a source file belongs to: ``dart_dense/utils/x.py`` → (dart_dense, utils)."""
    return path.relative_to(PACKAGE.parent).with_suffix('').parts[:-1]


def imported_modules(source: str, package: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``source``, a module of ``package``.

    ``from X import y`` yields both ``X`` and ``X.y`` (``y`` may be a submodule); relative
    imports are resolved against ``package``.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            module = '.'.join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f'{module}.{alias.name}') for alias in node.names]
    return found


def is_forbidden(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + '.')


def test_scanner_sees_every_spelling() -> None:
    """Absolute, relative and function-level imports of the models package are found (as if
    written in ``dart_dense/utils/``); imports of the lower layers are not flagged."""
    package = ('dart_dense', 'utils')
    for code in ['import dart_dense.models', 'from dart_dense.models.tokenizers import x',
                 'from .. import models', 'from ..models import x',
                 'from dart_dense import models', 'def f():\n    from ..models.backbones import y']:
        assert any(is_forbidden(m) for _, m in imported_modules(code, package)), code
    for code in ['from . import value_checks', 'from ..structures import TokenLayout',
                 'import dart_dense.ops', 'from ..ops.band_rebin import rebin_rows']:
        assert not any(is_forbidden(m) for _, m in imported_modules(code, package)), code


@pytest.mark.parametrize('layer', LOWER_LAYERS)
def test_lower_layers_do_not_import_models(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob('*.py'))
    assert files, f'dart_dense/{layer} has no Python files'
    offending = [f'{path.relative_to(PACKAGE.parent)}:{line}: {module}'
                 for path in files
                 for line, module in imported_modules(path.read_text(), package_of(path))
                 if is_forbidden(module)]
    assert not offending, 'imports of dart_dense.models below it:\n' + '\n'.join(offending)
