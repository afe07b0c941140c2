"""Small demo datasets, generated once per test session (fast: tiny counts and sizes)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dart_dense.datasets import generate_ade20k_demo, generate_coco_demo, generate_video_demo

ADE_ARGS = dict(num_train=4, num_val=2, size=(96, 128), seed=0)
COCO_ARGS = dict(num_train=6, num_val=3, seed=0)
VIDEO_ARGS = dict(num_train=6, num_val=3, seed=0, num_frames=8, size=(48, 64))


@pytest.fixture(scope='session')
def demo_args() -> dict[str, dict]:
    """The arguments of the session datasets, by kind ('ade20k', 'coco', 'video')."""
    return dict(ade20k=dict(ADE_ARGS), coco=dict(COCO_ARGS), video=dict(VIDEO_ARGS))


@pytest.fixture(scope='session')
def ade_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ADE20K layout: 4 training and 2 validation 96×128 images."""
    return generate_ade20k_demo(tmp_path_factory.mktemp('ade'), **ADE_ARGS)


@pytest.fixture(scope='session')
def coco_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """COCO layout: 6 training images (the last without objects) and 3 validation images."""
    return generate_coco_demo(tmp_path_factory.mktemp('coco'), **COCO_ARGS)


@pytest.fixture(scope='session')
def video_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kinetics layout: 6 training and 3 validation clips of 8 frames at 48×64."""
    return generate_video_demo(tmp_path_factory.mktemp('video'), **VIDEO_ARGS)
