"""Shared fixtures: the tiny ADE20K-layout dataset and the tiny segmentation config."""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = REPO_ROOT / 'tests' / 'data'
TINY_SEG_CONFIG = TEST_DATA / 'tiny_seg_config.py'


def _load_module(path: Path) -> ModuleType:
    """Imports a helper script by path (tests/ and tools/ are not packages)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def tiny_ade20k_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny deterministic dataset in the ADE20K layout (8 training, 4 validation images)."""
    generator = _load_module(TEST_DATA / 'tiny_ade20k.py')
    return generator.make_tiny_ade20k(tmp_path_factory.mktemp('tiny_ade20k'), seed=0)


@pytest.fixture(scope='session')
def make_tiny_seg_config(tmp_path_factory: pytest.TempPathFactory,
                         tiny_ade20k_root: Path) -> Callable[[str], Path]:
    """Factory: writes a config inheriting the tiny config, pointed at the tiny dataset.

    ``extra`` is appended verbatim (config-file Python), e.g. ``custom_hooks = [...]``.
    """
    directory = tmp_path_factory.mktemp('configs')
    counter = iter(range(1_000_000))

    def make(extra: str = '') -> Path:
        path = directory / f'tiny_seg_{next(counter)}.py'
        root = str(tiny_ade20k_root)
        path.write_text(
            f'_base_ = [{str(TINY_SEG_CONFIG)!r}]\n'
            f'train_dataloader = dict(dataset=dict(data_root={root!r}))\n'
            f'val_dataloader = dict(dataset=dict(data_root={root!r}))\n'
            f'test_dataloader = dict(dataset=dict(data_root={root!r}))\n' + extra)
        return path

    return make


@pytest.fixture(scope='session')
def subprocess_env() -> dict[str, str]:
    """Environment for tool subprocesses: this interpreter, the repo importable, few threads."""
    env = dict(os.environ)
    env['PYTHON'] = sys.executable
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get('PYTHONPATH', '')) if p)
    env.setdefault('OMP_NUM_THREADS', '1')
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)  # the tests prove it is not needed
    return env


@pytest.fixture(scope='session')
def test_tool() -> ModuleType:
    """tools/test.py as a module (parse_args, build_config, ...)."""
    return _load_module(REPO_ROOT / 'tools' / 'test.py')


@pytest.fixture(scope='session')
def untrained_run_files() -> Callable[..., tuple[Path, Path]]:
    """Factory ``(cfg, directory, scope, extra='')``: a randomly initialized checkpoint of
    ``cfg.model`` (built in the toolbox ``scope``) and ``cfg`` dumped beside it (``extra``
    config text appended), for tools/test.py runs that check wiring, not accuracy."""
    import torch
    from mmengine.registry import MODELS, DefaultScope

    def make(cfg, directory: Path, scope: str, extra: str = '') -> tuple[Path, Path]:
        torch.manual_seed(0)
        with DefaultScope.overwrite_default_scope(scope):
            model = MODELS.build(cfg.model)
        model.init_weights()
        checkpoint = directory / 'model.pth'
        torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
        config = directory / 'config.py'
        cfg.dump(config)
        config.write_text(config.read_text() + extra)
        return checkpoint, config

    return make
