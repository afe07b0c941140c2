"""Models built for measurement, and the part of them a measurement runs.

Built models load nothing (pretrained references dropped, random ``init_weights``), SyncBN is
reverted to BN so that stock configs run in one CPU process, and they are in eval mode.
Parts: ``backbone``; ``features`` = backbone + neck (``extract_feat``: what a ViT adapter
comparison needs); ``model`` = the whole network without post-processing (``mode='tensor'``;
recognizers up to the classification head).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import torch
from mmengine.config import Config
from torch import Tensor, nn

from .configs import TASK_SCOPES, Task, drop_pretrained, infer_task

Part = Literal['backbone', 'features', 'model']
PARTS: tuple[str, ...] = ('backbone', 'features', 'model')


def quiet_logs(level: int = logging.WARNING) -> None:
    """Raise mmengine's current logger to ``level`` (``init_weights`` logs every parameter)."""
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(level)


def build_model(cfg: Config, device: str | torch.device = 'cpu',
                keep_auxiliary: bool = False, seed: int = 0) -> nn.Module:
    """Build ``cfg.model`` for measurement: no pretrained weights, SyncBN → BN, eval mode.

    Random initialization (``init_weights``) from ``seed``, without touching the caller's
    random state; nothing is loaded from disk. The same weights every run keep what depends on
    them reproducible (a two-stage detector's proposals, hence its FLOPs). A segmentor's
    auxiliary head (training only) is dropped unless ``keep_auxiliary``.
    """
    import dart_dense  # noqa: F401  (compat shims before torchvision / mmaction imports)
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope, init_default_scope

    task = infer_task(cfg)
    scope = TASK_SCOPES[task]
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    import dart_dense.models  # noqa: F401  (our classes, for stock configs too)
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model_cfg = drop_pretrained(cfg.model.copy())
    if task == 'seg' and not keep_auxiliary and model_cfg.get('auxiliary_head') is not None:
        model_cfg.pop('auxiliary_head')  # training-only; mmseg's get_flops drops it too
    quiet_logs()
    with DefaultScope.overwrite_default_scope(scope), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = registry.build(model_cfg)
        model.init_weights()
    model = revert_sync_batchnorm(model)
    return model.to(device).eval()


def count_params(module: nn.Module) -> int:
    """Number of parameters (each shared tensor once), by mmengine's ``parameter_count``."""
    from mmengine.analysis import parameter_count
    return parameter_count(module)['']


def part_forward(model: nn.Module, task: Task, part: Part) -> Callable[[Tensor, list], Any]:
    """The forward of one part of the model, as ``fn(inputs, data_samples)``.

    Args:
        model: a model from :func:`build_model`.
        task: 'seg' | 'det' | 'video'; video inputs are (B, clips, ...) and the backbone alone
            gets them flattened to (B·clips, ...), as recognizers do.
        part: 'backbone' | 'features' | 'model' (see the module docstring).
    """
    if part not in PARTS:
        raise ValueError(f'part must be one of {PARTS}, got {part!r}')

    def clips(inputs: Tensor) -> Tensor:
        return inputs.reshape(-1, *inputs.shape[2:]) if task == 'video' else inputs

    if part == 'backbone':
        return lambda inputs, samples: model.backbone(clips(inputs))
    if part == 'features':
        if task == 'video':
            return lambda inputs, samples: model.extract_feat(inputs, stage='neck')[0]
        return lambda inputs, samples: model.extract_feat(inputs)
    if task == 'video':
        return lambda inputs, samples: model.extract_feat(inputs, stage='head')[0]
    return lambda inputs, samples: model(inputs, samples, mode='tensor')


def loss_backward(model: nn.Module, inputs: Tensor, data_samples: list) -> Tensor:
    """One training forward (``mode='loss'``) and backward; returns the detached loss."""
    losses = model(inputs, data_samples, mode='loss')
    loss, _ = model.parse_losses(losses)
    loss.backward()
    return loss.detach()


def flatten_tensors(out: Any) -> tuple[Tensor, ...]:
    """All tensors in a nested output (tuples, lists, dicts, mmengine data elements), in order.

    Hand-written: ``torch.utils._pytree`` is private and does not open mmengine data elements.
    """
    if isinstance(out, Tensor):
        return (out,)
    if isinstance(out, dict):
        out = list(out.values())
    elif hasattr(out, 'all_values'):  # mmengine data elements
        out = list(out.all_values())
    if isinstance(out, (list, tuple)):
        return tuple(t for item in out for t in flatten_tensors(item))
    return ()
