"""Fixtures of the segmentation suite: a few demo images and tiny versions of our configs."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from seg_helpers import DEMO_CONFIG, GRID_DEMO_CONFIG, TINY_IMAGE, tiny_config

from dart_dense.datasets import generate_ade20k_demo


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """One intra-op thread: at these tiny sizes threading costs more than it saves, and the
    2-core machines run other jobs beside the tests."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def seg_demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo generator's ADE20K layout, 4 + 2 images of the tiny configs' size."""
    return generate_ade20k_demo(tmp_path_factory.mktemp('ade20k_demo'), num_train=4, num_val=2,
                                size=TINY_IMAGE, seed=0)


@pytest.fixture(scope='session')
def tiny_demo_config(seg_demo_root: Path) -> Callable[..., Config]:
    """Factory: the tiny DART demo config (``grid=True``: the grid demo) on the demo images."""

    def make(grid: bool = False, **options) -> Config:
        return tiny_config(GRID_DEMO_CONFIG if grid else DEMO_CONFIG, seg_demo_root, **options)

    return make
