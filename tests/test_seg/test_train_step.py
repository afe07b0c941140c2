"""One training and one test step of the demo configs (DART and grid) on a few demo images."""
from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, set_random_seed
from mmseg.registry import MODELS

from dart_dense.models.tokenizers import DARTTokenizer, GridTokenizer
from dart_dense.utils.token_recorder import TokenRecorder


def build(cfg: Config) -> tuple[torch.nn.Module, object]:
    """Model (initialized) and its optimizer wrapper, as the runner builds them (seeded: the
    weights, the sampler and the pipeline's augmentations repeat)."""
    init_default_scope('mmseg')
    set_random_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def train_one_step(model: torch.nn.Module, optim_wrapper: object,
                   cfg: Config) -> tuple[dict, list[str]]:
    """One training step on the first (seeded) training batch; returns the log variables and
    the names of the parameters it changed."""
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    model.train()
    log_vars = model.train_step(batch, optim_wrapper)
    changed = [k for k, v in model.named_parameters() if not torch.equal(v, before[k])]
    return log_vars, changed


@pytest.mark.parametrize('grid', [False, True], ids=['dart', 'grid'])
def test_train_step_and_test_step(tiny_demo_config: Callable[..., Config], grid: bool) -> None:
    cfg = tiny_demo_config(grid=grid)
    model, optim_wrapper = build(cfg)
    assert isinstance(model.backbone.tokenizer, GridTokenizer if grid else DARTTokenizer)
    log_vars, changed = train_one_step(model, optim_wrapper, cfg)
    assert math.isfinite(log_vars['loss'].item())
    assert {'decode.loss_ce', 'aux.loss_ce'} <= set(log_vars)
    assert any(k.startswith('backbone.blocks.') for k in changed)
    assert any(k.startswith('decode_head.') for k in changed)

    model.eval()
    val_batch = next(iter(Runner.build_dataloader(cfg.val_dataloader)))
    with torch.no_grad(), TokenRecorder(model) as recorder:
        outputs = model.test_step(val_batch)
    assert len(outputs) == 2
    for sample in outputs:
        assert sample.pred_sem_seg.data.shape[-2:] == sample.ori_shape
        assert int(sample.pred_sem_seg.data.max()) < len(cfg.metainfo['classes'])
    expected_tokens = (128 // 16) ** 2 if grid else cfg.model.backbone.tokenizer.num_tokens
    assert recorder.last.layout.num_tokens == expected_tokens
    assert (recorder.last.scores is None) == grid


@pytest.mark.parametrize('grid', [False, True], ids=['dart', 'grid'])
def test_loss_decreases_on_a_fixed_batch(tiny_demo_config: Callable[..., Config],
                                         grid: bool) -> None:
    cfg = tiny_demo_config(grid=grid, **{'optim_wrapper.optimizer.lr': 1e-2})
    model, optim_wrapper = build(cfg)
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    model.train()
    losses = [model.train_step(batch, optim_wrapper)['loss'].item() for _ in range(6)]
    assert all(math.isfinite(v) for v in losses)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert losses[-1] < 0.9 * losses[0], losses


def test_compile_hook_trains_the_compiled_backbone(tiny_demo_config: Callable[..., Config],
                                                    tmp_path) -> None:
    """The runner trains the DART demo config with its backbone compiled by
    ``CompileModulesHook``: mmengine's own ``compile=True`` compiles ``train_step`` with the
    optimizer step, which dynamo cannot trace in torch 2.13 (see the hook's docstring).

    aot_eager: the same dynamo capture of forward and backward as inductor, without the code
    generation that takes minutes for a training graph on 2 cores (inductor's forward is
    covered by tests/test_models/test_backbones/test_gpu_shaped.py)."""
    cfg = tiny_demo_config(**{'train_cfg.max_iters': 2, 'train_cfg.val_interval': 100,
                              'default_hooks.checkpoint.interval': 100})
    cfg.custom_hooks = [dict(type='CompileModulesHook', modules=['backbone'],
                             backend='aot_eager', fullgraph=True)]
    cfg.work_dir = str(tmp_path)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    runner = Runner.from_cfg(cfg)
    before = {k: v.detach().clone() for k, v in runner.model.named_parameters()}
    runner.train()
    assert runner.iter == 2
    assert runner.model.backbone._compiled_call_impl is not None
    changed = [k for k, v in runner.model.named_parameters() if not torch.equal(v, before[k])]
    assert any(k.startswith('backbone.blocks.') for k in changed)
    assert any(k.startswith('backbone.tokenizer.proj.') for k in changed)
