"""Video-suite fixtures: tiny demo clips and tiny overrides of the configs in configs/video/."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mmengine.config import Config

from dart_dense.datasets import generate_video_demo

DEMO_CONFIG = Path(__file__).resolve().parents[2] / 'configs/video/dart-mini_8x2x1_video-demo.py'
# 16-frame clips like the real demo (the configs sample 8 x interval 2), smaller frames
DEMO_CLIPS = dict(num_train=4, num_val=4, seed=0, num_frames=16, size=(48, 64))


@pytest.fixture(scope='session')
def demo_clips() -> dict:
    """The generator arguments of :func:`video_demo_root`."""
    return dict(DEMO_CLIPS)


@pytest.fixture(scope='session')
def video_demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kinetics layout: 4 training and 4 validation clips of 16 frames at 48x64."""
    return generate_video_demo(tmp_path_factory.mktemp('video_demo'), **DEMO_CLIPS)


@pytest.fixture(scope='session')
def demo_options(video_demo_root: Path) -> dict[str, object]:
    """Overrides for a demo config: the session's clips, a 1-block model, 2 clips a batch.

    Flat dotted keys, usable as ``Config.merge_from_dict`` input and as ``--cfg-options``.
    """
    options = {'model.backbone.arch.embed_dims': 32, 'model.backbone.arch.depth': 1,
               'model.backbone.arch.num_heads': 2, 'model.cls_head.in_channels': 32}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.dataset.data_root': str(video_demo_root),
                        f'{loader}.batch_size': 2, f'{loader}.num_workers': 0,
                        f'{loader}.persistent_workers': False})
    return options


@pytest.fixture
def tiny_demo_config(demo_options: dict[str, object]) -> Callable[[Path], Config]:
    """Factory: a demo config loaded with ``demo_options`` applied."""

    def load(path: Path = DEMO_CONFIG) -> Config:
        cfg = Config.fromfile(str(path))
        cfg.merge_from_dict(demo_options)
        return cfg

    return load
