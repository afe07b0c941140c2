"""FLOPs and parameters of a segmentation, detection or video config (ours or a stock one).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W | --shape T H W]
        [--part backbone|features|model] [--breakdown [--depth D]] [--json OUT]
        [--cfg-options K=V ...]

Counts with mmengine's ``FlopAnalyzer`` (the fvcore counter mmseg/mmdet use; one fused
multiply-add = one FLOP) on a random batch of one, in ``mode='tensor'`` (no post-processing;
the auxiliary head of a segmentor is dropped, as mmseg's own get_flops does). Pretrained
weights are never loaded and SyncBN is reverted to BN, so stock configs such as
``mmseg::vit/vit_vit-b16_mln_upernet_8xb2-160k_ade20k-512x512.py`` work on CPU. A config may
carry its own overrides: ``CONFIG@model.backbone.tokenizer.num_tokens=256``.

What is counted for DART models: the scorer (convolutions/linears), the patch projection of the
tokenizer (an ``F.linear`` on the resampled patches, counted as ``aten::linear``), the
positional re-binning and dense rendering (``einsum``/``matmul``), the blocks, the adapter and
the heads. Added here: ``aten::scaled_dot_product_attention`` (timm's fused attention, which
the stock counter skips; mmseg's ViT computes attention with ``bmm``, which it counts), so
fused and unfused attention are counted alike. Not counted (as for every model under this
convention): element-wise ops, ``cumsum``/``searchsorted`` of the partition and the
gathers of the region resampling (a few multiply-adds per sampled value, < 0.1 % of a ViT-S).
"""
from __future__ import annotations

import argparse
import sys
from math import prod
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from torch import nn  # noqa: E402

from tools.analysis_tools.helpers import (DEFAULT_SHAPES, PARTS, SHAPE_HELP,  # noqa: E402
                                          build_model, check_shape, count_params,
                                          flatten_tensors, infer_task, load_config,
                                          make_batch, part_forward, write_json)


def sdpa_flop_jit(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::scaled_dot_product_attention``: Q·Kᵀ plus attn·V multiply-adds.

    q (…, Lq, E), k (…, Lk, E), v (…, Lk, Ev) → ``prod(…)·Lq·Lk·(E + Ev)``, what the two
    ``bmm`` of an unfused attention count (softmax and scaling are element-wise, not counted).
    """
    from mmengine.analysis.jit_handles import get_shape

    q, k, v = (get_shape(x) for x in inputs[:3])
    return prod(q[:-2]) * q[-2] * k[-2] * (q[-1] + v[-1])


class PartForward(nn.Module):
    """``forward(inputs)`` = flat tensors of ``fn(inputs, samples)``: the tensor-in,
    tensors-out module the jit tracer needs. The model is its child ``model``."""

    def __init__(self, model: nn.Module, fn: Any, samples: list):
        super().__init__()
        self.model = model
        self.fn = fn
        self.samples = samples

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return flatten_tensors(self.fn(inputs, self.samples))


def named_kinds(model: nn.Module) -> dict[str, list[str]]:
    """Names of the backbone, tokenizer, scorer and adapter (neck) modules, for the summary."""
    kinds: dict[str, list[str]] = {'backbone': [], 'tokenizer': [], 'scorer': [],
                                   'adapter': []}
    for name, module in model.named_modules():
        cls = type(module).__name__
        if name in ('backbone', 'neck'):
            kinds['backbone' if name == 'backbone' else 'adapter'].append(name)
        elif cls.endswith('Tokenizer'):
            kinds['tokenizer'].append(name)
        elif cls.endswith('Scorer'):
            kinds['scorer'].append(name)
    return kinds


def complexity(config: str, shape: tuple[int, ...] | None = None, part: str = 'model',
               cfg_options: dict | None = None) -> dict[str, Any]:
    """FLOPs (multiply-adds) and parameters of one config at one input shape.

    Returns:
        dict with ``flops``, ``params`` (the measured part), ``shape``, ``task``,
        ``by_kind`` (backbone/tokenizer/scorer/adapter FLOPs), ``unsupported`` (op →
        count) and the ``analyzer`` (for a per-module table).
    """
    from mmengine.analysis import FlopAnalyzer

    cfg = load_config(config, cfg_options)
    task = infer_task(cfg)
    shape = tuple(shape) if shape else DEFAULT_SHAPES[task]
    model = build_model(cfg)
    inputs, samples = make_batch(model, task, shape, batch_size=1)
    fn = part_forward(model, task, part)
    with torch.no_grad():
        analyzer = FlopAnalyzer(PartForward(model, fn, samples), (inputs,))
        analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
        analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        analyzer.tracer_warnings('none')
        total = analyzer.total()
        by_module = analyzer.by_module()
        unsupported = dict(analyzer.unsupported_ops())
    measured = model if part == 'model' else (
        model.backbone if part == 'backbone' else
        nn.ModuleList([model.backbone] + ([model.neck] if getattr(model, 'neck', None)
                                          is not None else [])))
    by_kind = {kind: sum(by_module.get(f'model.{n}', 0) for n in names)
               for kind, names in named_kinds(model).items() if names}
    return dict(flops=total, params=count_params(measured), shape=shape, task=task,
                by_kind=by_kind, unsupported=unsupported, analyzer=analyzer)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FLOPs and parameters of a config')
    parser.add_argument('config', help='config file, SCOPE::path, optionally @KEY=VALUE...')
    parser.add_argument('--shape', type=int, nargs='+', help=SHAPE_HELP)
    parser.add_argument('--part', choices=PARTS, default='model',
                        help='backbone, features (backbone + neck) or the whole model')
    parser.add_argument('--breakdown', action='store_true', help='per-module table')
    parser.add_argument('--depth', type=int, default=3, help='module depth of the table')
    parser.add_argument('--json', help='also write the figures to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (KEY=VALUE)')
    args = parser.parse_args(argv)
    try:
        args.shape = check_shape(args.shape)
    except ValueError as err:
        parser.error(str(err))
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from mmengine.analysis.print_helper import complexity_stats_table

    args = parse_args(argv)
    result = complexity(args.config, args.shape, args.part, args.cfg_options)
    if args.breakdown:
        print(complexity_stats_table(result['analyzer'], max_depth=args.depth,
                                     show_param_shapes=False))
    print(f'Config: {args.config}  task: {result["task"]}  part: {args.part}  '
          f'input: 1x{"x".join(map(str, result["shape"]))}')
    for kind, flops in result['by_kind'].items():
        print(f'  {kind}: {flops / 1e9:.3f} GFLOPs')
    print(f'Flops: {result["flops"] / 1e9:.3f} GFLOPs')
    print(f'Params: {result["params"] / 1e6:.3f} M')
    skipped = ', '.join(f'{k.replace("aten::", "")}×{v}' for k, v in
                        sorted(result['unsupported'].items(), key=lambda kv: -kv[1])[:8])
    print(f'(one FLOP = one multiply-add; not counted, as for every model: element-wise, '
          f'index and scan ops{": " + skipped if skipped else ""})')
    if args.json:
        write_json(args.json, dict(config=args.config, part=args.part,
                                   **{k: v for k, v in result.items() if k != 'analyzer'}))
    return result


if __name__ == '__main__':
    main()
