"""Helpers of the segmentation suite: tiny versions of our seg configs, running tools."""
from __future__ import annotations

import copy
import functools
import re
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

from dart_dense.models.backbones.dart_vit import ARCH_ZOO

REPO_ROOT = Path(__file__).resolve().parents[2]
SEG_CONFIGS = sorted((REPO_ROOT / 'configs' / 'seg').glob('*.py'))
DEMO_CONFIG = REPO_ROOT / 'configs' / 'seg' / 'upernet_dart_demo.py'
GRID_DEMO_CONFIG = REPO_ROOT / 'configs' / 'seg' / 'upernet_grid_demo.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

# tiny widths: 32-dim tokens (2 heads), 16-channel pyramid and heads
EMBED_DIMS, HEAD_DIMS = 32, 16
# side of the tiny test images and crops (the demo generator's objects scale with it)
TINY_IMAGE = 128


@functools.lru_cache(maxsize=None)
def _parse_config(path: Path) -> Config:
    return Config.fromfile(path)


def load_config(path: Path) -> Config:
    """``Config.fromfile(path)``, parsed once per session (each caller gets its own copy)."""
    return copy.deepcopy(_parse_config(Path(path)))


def _scale_pipeline(pipeline: list, factor: float) -> None:
    """Scales the ``scale`` and ``crop_size`` of every pipeline step in place."""
    for step in pipeline:
        for key in ('scale', 'crop_size'):
            if isinstance(step.get(key), (tuple, list)):
                step[key] = tuple(round(v * factor) for v in step[key])


def tiny_config(path: Path, data_root: Path, image_size: int = TINY_IMAGE, **options) -> Config:
    """``path`` with a tiny model and small images, all loaders at ``data_root``.

    The model keeps its depth, out_indices, tokenizer and scorer types but has 32-dim tokens,
    16-channel neck and heads (a head without a neck reads the 32-dim backbone outputs) and a
    16-token DART budget; every pipeline's sizes and the crop are scaled
    so that the crop's short side is ``image_size``; batches of 2. ``options`` are further
    dotted-key overrides (``--cfg-options`` style).
    """
    cfg = load_config(path)
    backbone = cfg.model.backbone
    arch = ARCH_ZOO[backbone.arch] if isinstance(backbone.arch, str) else backbone.arch
    factor = image_size / min(cfg.crop_size)
    cfg.crop_size = tuple(round(v * factor) for v in cfg.crop_size)
    tiny = {
        'model.backbone.arch': dict(_delete_=True, embed_dims=EMBED_DIMS, depth=arch['depth'],
                                    num_heads=2),
        'model.backbone.img_size': cfg.crop_size,
        'model.backbone.init_cfg': None,  # pretrain/ checkpoints do not exist here
        'model.data_preprocessor.size': cfg.crop_size,
        'model.decode_head.channels': HEAD_DIMS,
    }
    # the heads read the neck's maps, or the backbone's own outputs when there is no neck
    feature_dims = EMBED_DIMS
    if cfg.model.get('neck') is not None:
        tiny['model.neck.in_channels'] = [EMBED_DIMS] * len(cfg.model.neck.in_channels)
        tiny['model.neck.out_channels'] = feature_dims = HEAD_DIMS
    head_in = cfg.model.decode_head.in_channels
    head_index = cfg.model.decode_head.get('in_index', -1)
    if isinstance(head_in, (list, tuple)):
        tiny['model.decode_head.in_channels'] = [feature_dims] * len(head_in)
    else:  # one input; a token-space head may concatenate several token sets
        tiny['model.decode_head.in_channels'] = feature_dims * (
            len(head_index) if isinstance(head_index, (list, tuple)) else 1)
    if 'embed_dims' in cfg.model.decode_head:  # transformer heads (Segmenter, token-space)
        tiny['model.decode_head.embed_dims'] = HEAD_DIMS
        tiny['model.decode_head.num_heads'] = 2
    if cfg.model.get('auxiliary_head') is not None:
        tiny['model.auxiliary_head.in_channels'] = feature_dims
        tiny['model.auxiliary_head.channels'] = HEAD_DIMS
    if backbone.tokenizer.type == 'DARTTokenizer':
        tiny['model.backbone.tokenizer.num_tokens'] = 16
    _scale_pipeline(cfg.train_pipeline, factor)
    _scale_pipeline(cfg.test_pipeline, factor)  # mmseg.apis.inference_model uses this one
    for loader in LOADERS:
        _scale_pipeline(cfg[loader].dataset.pipeline, factor)
        tiny[f'{loader}.batch_size'] = 2
        tiny[f'{loader}.num_workers'] = 0
        tiny[f'{loader}.persistent_workers'] = False
        tiny[f'{loader}.dataset.data_root'] = str(data_root)
    tiny.update(options)
    cfg.merge_from_dict(tiny)
    return cfg


def run_tool(args: list[str], env: dict[str, str], timeout: float = 300,
             check: bool = True) -> subprocess.CompletedProcess:
    """Runs a tools/ script with this interpreter from the repo root (stdout+stderr merged)."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-6000:]
    return proc


def logged_train_iters(log: str) -> list[int]:
    """Iterations of mmengine's 'Iter(train) [i/N]' log lines."""
    return [int(i) for i in re.findall(r'Iter\(train\) \[\s*(\d+)/\d+\]', log)]
