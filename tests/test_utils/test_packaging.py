"""Install metadata: loose, correct requirements (the CPU pins stay in constraints.txt).

A GPU user installs their own CUDA torch and OpenMMLab's mmcv wheel, then ``pip install -e
.[seg]``: no requirement may pin a local build (``+cpu``) or an exact torch.
"""
from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]
TASK_EXTRAS = {'seg': 'mmsegmentation', 'det': 'mmdet', 'video': 'mmaction2'}


def _extra(req: Requirement) -> str | None:
    """The extra a requirement belongs to (``None``: install_requires)."""
    for extra in (*TASK_EXTRAS, 'all', 'tests', 'mim'):
        if req.marker is not None and req.marker.evaluate({'extra': extra}):
            return extra
    return None


def _check_loose(requires: list[str]) -> dict[str | None, set[str]]:
    """Fails on local-version or exact torch pins; returns the package names per extra."""
    names: dict[str | None, set[str]] = {}
    for line in requires:
        req = Requirement(line)
        for spec in req.specifier:
            assert '+' not in spec.version, f'local-version pin {line!r}'
            if req.name in ('torch', 'torchvision'):
                assert spec.operator not in ('==', '==='), f'exact torch pin {line!r}'
        names.setdefault(_extra(req), set()).add(req.name)
    return names


def _check_contents(names: dict[str | None, set[str]]) -> None:
    assert {'torch', 'mmengine', 'mmcv', 'timm'} <= names[None]
    assert not names[None] & {'mmsegmentation', 'mmdet', 'mmaction2'}  # extras only
    for extra, package in TASK_EXTRAS.items():
        assert package in names[extra], extra
    assert set(TASK_EXTRAS.values()) <= names['all']


def test_installed_metadata_is_loose_and_split_by_task():
    requires = importlib.metadata.requires('dart_dense')
    names = _check_loose(requires)
    _check_contents(names)
    mmcv = next(Requirement(r) for r in requires if Requirement(r).name == 'mmcv')
    assert '2.1.0' in mmcv.specifier and '2.0.0rc4' in mmcv.specifier
    assert '2.2.0' not in mmcv.specifier  # the window mmseg 1.x and mmdet 3.x accept


def test_tested_stack_satisfies_the_declared_requirements():
    """The pinned CPU stack (constraints.txt) lies inside the loose ranges."""
    for line in importlib.metadata.requires('dart_dense'):
        req = Requirement(line)
        if _extra(req) == 'mim':  # mim's own view of mmcv/mmengine, checked through runtime
            continue
        version = importlib.metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), (line, version)


def test_built_wheel_declares_the_same_requirements(tmp_path):
    """A wheel built from the sources (a copy: nothing is written into the tree)."""
    source = tmp_path / 'src'
    source.mkdir()
    for name in ('setup.py', 'README.md'):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(REPO_ROOT / 'requirements', source / 'requirements')
    shutil.copytree(REPO_ROOT / 'dart_dense', source / 'dart_dense',
                    ignore=shutil.ignore_patterns('__pycache__'))
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
         '--disable-pip-version-check', '-w', str(tmp_path / 'dist'), str(source)],
        text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    wheel = next((tmp_path / 'dist').glob('dart_dense-*.whl'))
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith('.dist-info/METADATA'))
        message = Parser().parsestr(archive.read(meta).decode())
    requires = message.get_all('Requires-Dist')
    _check_contents(_check_loose(requires))
    assert sorted(requires) == sorted(importlib.metadata.requires('dart_dense'))


def test_requirement_files_pin_nothing_but_constraints():
    """Only constraints.txt (and build.txt, read by setup_env alone) may hold exact pins."""
    for path in (REPO_ROOT / 'requirements').glob('*.txt'):
        if path.name in ('constraints.txt', 'build.txt'):
            continue
        for line in path.read_text().splitlines():
            line = line.split('#')[0].strip()
            if line:
                assert '==' not in line and '+' not in line, f'{path.name}: {line}'
    pins = (REPO_ROOT / 'requirements' / 'constraints.txt').read_text()
    assert 'torch==2.13.0+cpu' in pins and 'mmcv==2.1.0' in pins
