"""Fixtures of the analysis-tool tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from analysis_helpers import TINY_DART, TINY_GRID


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread: tiny sizes, and the 2-core machine runs other jobs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def tiny_configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Paths of the tiny DART and grid segmentation configs."""
    directory = tmp_path_factory.mktemp('analysis_configs')
    paths = {}
    for name, text in (('dart', TINY_DART), ('grid', TINY_GRID)):
        path = directory / f'tiny_{name}.py'
        path.write_text(text)
        paths[name] = str(path)
    return paths
