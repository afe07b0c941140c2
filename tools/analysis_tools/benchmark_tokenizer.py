"""Speed of the DART tokenizer: its share of a ViT-S backbone, vs the loop reference, the
fast path, and the official DART-S scorer trunk at 448².

    python tools/analysis_tools/benchmark_tokenizer.py [--sections parity speed share official
        profile] [--size 512] [--batch-size 2] [--budgets 1024 512]
        [--scorers mnv3l@0.5 mnv3l@0.25 conv@1 grad@1] [--repeat 5] [--json OUT] [--device D]

Sections (all interleaved round-robin in one process, medians reported):

* ``parity``: the vectorized partition + resampling + positional re-binning against the
  straightforward loop transcription of the official algorithm
  (``dart_dense.ops.reference.official_tokenize``), float64, same scores: maximum absolute
  differences of row/token edges, patches and positional vectors; and the mmcv ``roi_align``
  fast path against the torch path (float32).
* ``speed``: time of the same three steps (partition, resampling, re-binning) for the loop
  reference, the vectorized torch path and the mmcv fast path, float32.
* ``share``: DART-S backbone (``configs/_base_/models/upernet_dart.py``: out_indices
  (3, 5, 7, 11) rendered at strides 4/8/16/32) at each budget and scorer: scorer time, tokenizer
  time (scorer + partition + resampling + embedding + positional re-binning), backbone time and
  its dense rendering (backbone minus the same blocks returning tokens), forward (no grad) and
  forward+backward (train mode; the torch resampling path, since the
  scorer learns through the geometry); shares = tokenizer / backbone. A per-step breakdown of
  the tokenizer follows (partition, resampling torch/mmcv, embedding, re-binning).
* ``official``: official DART-S at 448² (N=196, 14×14 grid, MobileNetV3-Large ``features[:15]``
  on the full image, official numerics): the trunk alone vs the whole backbone forward.
* ``profile``: ``torch.profiler`` table of the tokenizer forward with the first scorer, at
  the last budget (where the time goes).
* ``ops``: aten operators dispatched (and host syncs forced) by one forward of every stage —
  each scorer, importance, partition, resampling, embedding, positional re-binning, the whole
  tokenizer with and without its scorer, the DART-S backbone — next to the fixed-grid
  tokenizer and backbone. On a GPU every operator is a launch: this is the CPU proxy for the
  launch-bound eager cost (``dart_dense.utils.op_count``).

Scorer specs: ``mnv3l`` / ``mnv3s`` (MobileNetV3 Large/Small trunk + MLP, random weights: the
cost does not depend on them), ``conv`` (ConvScorer), ``grad`` (GradientEnergyScorer), each
with ``@INPUT_SCALE``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from tools.analysis_tools.helpers import (flatten_tensors, interleaved_times,  # noqa: E402
                                          load_average, quiet_logs, summarize, write_json)

SCORER_TYPES = {
    'mnv3l': dict(type='MobileNetV3Scorer', arch='large'),
    'mnv3s': dict(type='MobileNetV3Scorer', arch='small'),
    'conv': dict(type='ConvScorer'),
    'grad': dict(type='GradientEnergyScorer'),
}
SECTIONS = ('parity', 'speed', 'share', 'official', 'profile', 'ops')


def scorer_cfg(spec: str) -> dict:
    """``TYPE[@SCALE]`` → scorer config, e.g. ``mnv3l@0.5``."""
    kind, _, scale = spec.partition('@')
    if kind not in SCORER_TYPES:
        raise ValueError(f'scorer spec {spec!r}: type must be one of {sorted(SCORER_TYPES)}')
    return dict(SCORER_TYPES[kind], input_scale=float(scale) if scale else 1.0)


def build_backbone(num_tokens: int, scorer: dict, size: int = 512, arch: str = 'small',
                   **kwargs: Any) -> nn.Module:
    """DART ViT as in ``configs/_base_/models/upernet_dart.py`` (random weights)."""
    from mmengine.registry import MODELS

    import dart_dense.models  # noqa: F401
    tokenizer = dict(type='DARTTokenizer', num_tokens=num_tokens, scorer=scorer,
                     **kwargs.pop('tokenizer', {}))
    cfg = dict(type='DARTViT', arch=arch, img_size=size, patch_size=16, tokenizer=tokenizer,
               out_indices=(3, 5, 7, 11), out_strides=(4, 8, 16, 32))
    cfg.update(kwargs)
    quiet_logs()
    model = MODELS.build(cfg)
    model.init_weights()
    return model


# ----------------------------------------------------------------------------------- parity


def vectorized_tokenize(images: Tensor, scores: Tensor, num_tokens: int, patch_size: int,
                        pos_table: Tensor | None, backend: str = 'torch'
                        ) -> tuple[Tensor, Tensor | None, Tensor, Tensor]:
    """The three steps of :func:`official_tokenize`, with the package's vectorized ops
    (official numerics: eps=1e-8 guard, 'corner' sample placement)."""
    from dart_dense.models.tokenizers import quantile_partition

    layout = quantile_partition(scores, tuple(images.shape[-2:]), num_tokens, eps=1e-8)
    patches = layout.resample(images, patch_size, mode='corner', backend=backend)
    pos = layout.rebin(pos_table.permute(2, 0, 1)[None]) if pos_table is not None else None
    return patches, pos, layout.row_edges, layout.token_edges


def random_problem(size: int, batch_size: int, grid: int, channels: int,
                   dtype: torch.dtype, device: str = 'cpu',
                   seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Images (B, 3, S, S), positive scores (B, g, g) and a positional table (g, g, C)."""
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(batch_size, 3, size, size, generator=gen, dtype=dtype)
    scores = torch.sigmoid(torch.randn(batch_size, grid, grid, generator=gen, dtype=dtype)) + 0.1
    table = torch.randn(grid, grid, channels, generator=gen, dtype=dtype)
    return images.to(device), scores.to(device), table.to(device)


def parity(size: int = 512, batch_size: int = 2, num_tokens: int = 512, patch_size: int = 16,
           channels: int = 8, device: str = 'cpu') -> dict[str, float]:
    """Maximum absolute differences: vectorized vs loop reference (float64) and the mmcv fast
    path vs the torch path (float32, unit-scale images)."""
    from dart_dense.ops.reference import official_tokenize

    grid = size // patch_size
    images, scores, table = random_problem(size, batch_size, grid, channels, torch.float64)
    ref = official_tokenize(images, scores, num_tokens, patch_size, table)
    vec = vectorized_tokenize(images.to(device), scores.to(device), num_tokens, patch_size,
                              table.to(device))
    names = ('patches', 'pos', 'row_edges', 'token_edges')
    out = {f'{n}_max_abs_diff': float((v.cpu() - r).abs().max()) for n, v, r in
           zip(names, vec, ref)}
    images32, scores32 = images.float().to(device), scores.float().to(device)
    try:
        fast = vectorized_tokenize(images32, scores32, num_tokens, patch_size, None, 'mmcv')[0]
    except ImportError:  # mmcv without compiled ops
        return out
    slow = vectorized_tokenize(images32, scores32, num_tokens, patch_size, None, 'torch')[0]
    # the official zero padding beyond the strip end differs from roi_align's border only for
    # the last token (see tests/test_ops): compare the others
    out['mmcv_vs_torch_max_abs_diff'] = float((fast[:, :-1] - slow[:, :-1]).abs().max())
    return out


# ----------------------------------------------------------------------------------- timing


def _stats(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {name: summarize(values) for name, values in times.items()}


def speed(size: int, batch_size: int, budgets: list[int], repeat: int,
          device: str) -> dict[str, Any]:
    """Loop reference vs vectorized torch vs mmcv fast path (same three steps, float32)."""
    from dart_dense.ops.reference import official_tokenize

    grid = size // 16
    images, scores, table = random_problem(size, batch_size, grid, 384, torch.float32)
    fns: dict[str, Callable[[], Any]] = {}
    for n in budgets:
        fns[f'loop N={n}'] = lambda n=n: official_tokenize(images, scores, n, 16, table)
        dev = [t.to(device) for t in (images, scores, table)]
        for backend in ('torch', 'mmcv'):
            fns[f'{backend} N={n}'] = (lambda n=n, backend=backend, dev=dev:
                                       vectorized_tokenize(dev[0], dev[1], n, 16, dev[2],
                                                           backend))
    with torch.no_grad():
        stats = _stats(interleaved_times(fns, repeat, warmup=1, device=device))
    speedups = {}
    for n in budgets:
        loop = stats[f'loop N={n}']['median']
        for backend in ('torch', 'mmcv'):
            speedups[f'{backend} N={n}'] = loop / stats[f'{backend} N={n}']['median']
    return dict(stats=stats, speedup_vs_loop=speedups)


def _train_step(module: nn.Module, forward: Callable[[], Any]) -> Callable[[], None]:
    """fn() = zero grads, forward, backward of the mean of every output tensor."""
    def step() -> None:
        module.zero_grad(set_to_none=True)
        outs = flatten_tensors(forward())
        sum(o.float().mean() for o in outs if o.requires_grad).backward()
    return step


def share(size: int, batch_size: int, budgets: list[int], scorers: list[str], repeat: int,
          device: str) -> dict[str, Any]:
    """Scorer and tokenizer time as a share of the DART-S backbone, forward and fwd+bwd."""
    images = torch.randn(batch_size, 3, size, size, generator=torch.Generator().manual_seed(0))
    images = images.to(device)
    fwd: dict[str, Callable[[], Any]] = {}
    train: dict[str, Callable[[], Any]] = {}
    models = []
    for n in budgets:
        for spec in scorers:
            model = build_backbone(n, scorer_cfg(spec), size).to(device)
            tok, key = model.tokenizer, f'N={n} {spec}'

            def tokenize(tok=tok, model=model) -> Any:
                return tok(images, model.pos_table()).tokens
            fwd[f'{key} scorer'] = lambda tok=tok: tok.scorer(images)
            fwd[f'{key} tokenizer'] = tokenize
            fwd[f'{key} backbone'] = lambda model=model: model(images)
            # the same blocks returning tokens (NLC): the difference is the dense rendering
            fwd[f'{key} backbone without rendering'] = (
                lambda model=model: model.forward_intermediates(images, output_fmt='NLC'))
            train[f'{key} tokenizer'] = _train_step(model, tokenize)
            train[f'{key} backbone'] = _train_step(model, lambda model=model: model(images))
            models.append(model)
    with torch.no_grad():
        for model in models:
            model.eval()
        fwd_stats = _stats(interleaved_times(fwd, repeat, warmup=1, device=device))
    for model in models:
        model.train()
    train_stats = _stats(interleaved_times(train, repeat, warmup=1, device=device))
    shares = {}
    for n in budgets:
        for spec in scorers:
            key = f'N={n} {spec}'
            back, back_train = (fwd_stats[f'{key} backbone']['median'],
                                train_stats[f'{key} backbone']['median'])
            shares[key] = dict(
                rendering_fwd=1 - fwd_stats[f'{key} backbone without rendering']['median'] / back,
                scorer_fwd=fwd_stats[f'{key} scorer']['median'] / back,
                tokenizer_fwd=fwd_stats[f'{key} tokenizer']['median'] / back,
                tokenizer_fwd_bwd=train_stats[f'{key} tokenizer']['median'] / back_train)
    return dict(forward=fwd_stats, forward_backward=train_stats, shares=shares,
                steps=steps_breakdown(size, batch_size, budgets, repeat, device))


def steps_breakdown(size: int, batch_size: int, budgets: list[int], repeat: int,
                    device: str) -> dict[str, Any]:
    """Forward time of each tokenizer step after the scorer, from fixed logits (float32)."""
    from dart_dense.models.tokenizers import quantile_partition
    from dart_dense.models.tokenizers.importance import importance_from_logits

    gen = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, size, size, generator=gen).to(device)
    logits = torch.randn(batch_size, 1, size // 32, size // 32, generator=gen).to(device)
    proj = nn.Linear(3 * 16 * 16, 384).to(device)
    table = torch.randn(1, 384, size // 16, size // 16, generator=gen).to(device)
    grid = (size // 16, size // 16)
    fns: dict[str, Callable[[], Any]] = {}
    for n in budgets:
        scores = importance_from_logits(logits, grid, (size, size))
        layout = quantile_partition(scores, (size, size), n)
        patches = layout.resample(images, 16)
        fns[f'N={n} importance+partition'] = (lambda n=n: quantile_partition(
            importance_from_logits(logits, grid, (size, size)), (size, size), n))
        fns[f'N={n} resample torch'] = lambda layout=layout: layout.resample(images, 16)
        fns[f'N={n} resample mmcv'] = lambda layout=layout: layout.resample(images, 16,
                                                                            backend='mmcv')
        fns[f'N={n} embed'] = lambda patches=patches: proj(patches.flatten(2))
        fns[f'N={n} pos rebin'] = lambda layout=layout: layout.rebin(table)
    with torch.no_grad():
        return _stats(interleaved_times(fns, repeat, warmup=1, device=device))


def official(batch_size: int, repeat: int, device: str) -> dict[str, Any]:
    """Official DART-S at 448²: MobileNetV3-Large trunk alone vs the whole backbone forward."""
    model = build_backbone(
        196, dict(type='MobileNetV3Scorer', arch='large'), 448, out_indices=(11,),
        out_strides=(16,), pos_grid=14,
        tokenizer=dict(grid_size=(14, 14), official=True)).to(device).eval()
    images = torch.randn(batch_size, 3, 448, 448, generator=torch.Generator().manual_seed(0))
    images = images.to(device)
    trunk = model.tokenizer.scorer.features
    fns = {
        'MobileNetV3-L trunk': lambda: trunk(images),
        'scorer (trunk + MLP)': lambda: model.tokenizer.scorer(images),
        'tokenizer': lambda: model.tokenizer(images, model.pos_table()),
        # tokens only (NLC), as the classifier: no dense rendering
        'whole backbone': lambda: model.forward_intermediates(images, output_fmt='NLC'),
    }
    with torch.no_grad():
        stats = _stats(interleaved_times(fns, repeat, warmup=1, device=device))
    whole = stats['whole backbone']['median']
    return dict(stats=stats, shares={k: v['median'] / whole for k, v in stats.items()})


def profile(size: int, batch_size: int, num_tokens: int, scorer: str, device: str,
            row_limit: int = 20) -> str:
    """Profiler table (operators by self CPU time) of three tokenizer forwards."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    model = build_backbone(num_tokens, scorer_cfg(scorer), size).to(device)
    model.eval()
    images = torch.randn(batch_size, 3, size, size).to(device)
    activities = [ProfilerActivity.CPU] + (
        [ProfilerActivity.CUDA] if torch.device(device).type == 'cuda' else [])
    with torch.no_grad():
        for _ in range(2):
            model.tokenizer(images, model.pos_table())
        with torch_profile(activities=activities) as prof:
            for _ in range(3):
                model.tokenizer(images, model.pos_table())
    return prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=row_limit)


def op_counts(size: int, batch_size: int, budgets: list[int], scorers: list[str],
              device: str) -> dict[str, dict[str, int]]:
    """Operators and host syncs of one forward (no grad) per tokenizer stage and model."""
    from mmengine.registry import MODELS

    from dart_dense.models.tokenizers import quantile_partition
    from dart_dense.models.tokenizers.importance import importance_from_logits
    from dart_dense.utils.op_count import count_ops

    gen = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size, 3, size, size, generator=gen).to(device)
    counts: dict[str, dict[str, int]] = {}

    def record(key: str, fn: Callable[..., Any], *args: Any) -> None:
        fn(*args)  # warm: lazily built constants are not counted
        result = count_ops(fn, *args)
        counts[key] = dict(ops=result.total, syncs=result.syncs)

    with torch.no_grad():
        for n in budgets:
            for spec in scorers:
                model = build_backbone(n, scorer_cfg(spec), size).to(device).eval()
                tok, key = model.tokenizer, f'N={n} {spec}'
                record(f'{key} scorer', tok.scorer, images)
                record(f'{key} tokenizer', tok, images, model.pos_table())
                counts[f'{key} tokenizer without scorer'] = {
                    k: counts[f'{key} tokenizer'][k] - counts[f'{key} scorer'][k]
                    for k in ('ops', 'syncs')}
                record(f'{key} backbone', model, images)
            # the stages after the scorer, from fixed logits
            grid_hw, hw = (size // 16, size // 16), (size, size)
            logits = torch.randn(batch_size, 1, size // 32, size // 32, generator=gen)
            record(f'N={n} importance', importance_from_logits, logits.to(device), grid_hw, hw)
            scores = importance_from_logits(logits.to(device), grid_hw, hw)
            record(f'N={n} partition', quantile_partition, scores, hw, n)
            layout = quantile_partition(scores, hw, n)
            record(f'N={n} resample', layout.resample, images, 16)
            record(f'N={n} embed', model.tokenizer.embed_patches, layout.resample(images, 16))
            record(f'N={n} pos rebin', layout.rebin, model.pos_table())
        grid = MODELS.build(dict(type='DARTViT', arch='small', img_size=size, patch_size=16,
                                 tokenizer=dict(type='GridTokenizer'),
                                 out_indices=(3, 5, 7, 11), out_strides=(4, 8, 16, 32)))
        grid = grid.to(device).eval()
        record('grid tokenizer', grid.tokenizer, images, grid.pos_table())
        record('grid backbone', grid, images)
    return counts


# ----------------------------------------------------------------------------------- report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DART tokenizer speed benchmark')
    parser.add_argument('--sections', nargs='+', choices=SECTIONS,
                        default=['parity', 'speed', 'share', 'official', 'ops'])
    parser.add_argument('--size', type=int, default=512, help='square image side')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--budgets', type=int, nargs='+', default=[1024, 512])
    parser.add_argument('--scorers', nargs='+', default=['mnv3l@0.5', 'mnv3l@0.25', 'conv@1'],
                        help='scorer specs TYPE@SCALE (mnv3l, mnv3s, conv, grad)')
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int,
                        help='torch intra-op threads (default: torch\'s, one per core)')
    parser.add_argument('--json', help='write the figures to this file')
    args = parser.parse_args(argv)
    for spec in args.scorers:
        try:
            scorer_cfg(spec)
        except ValueError as err:
            parser.error(str(err))
    if args.size % 16:
        parser.error(f'--size must be a multiple of 16, got {args.size}')
    return args


def _fmt(stats: dict[str, dict[str, float]]) -> str:
    return '\n'.join(f'  {name}: {s["median"] * 1e3:.1f} ms (IQR {s["iqr"] * 1e3:.1f})'
                     for name, s in stats.items())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    report: dict[str, Any] = dict(settings=dict(
        size=args.size, batch_size=args.batch_size, budgets=args.budgets,
        scorers=args.scorers, repeat=args.repeat, device=args.device,
        torch_threads=torch.get_num_threads(), load_average_before=load_average()))
    if 'parity' in args.sections:
        report['parity'] = {f'N={n}': parity(args.size, args.batch_size, n, device=args.device)
                            for n in args.budgets}
        print('parity (max abs diff):', json.dumps(report['parity'], indent=1))
    if 'speed' in args.sections:
        report['speed'] = speed(args.size, args.batch_size, args.budgets, args.repeat,
                                args.device)
        print('speed (partition + resampling + re-binning):')
        print(_fmt(report['speed']['stats']))
        for name, ratio in report['speed']['speedup_vs_loop'].items():
            print(f'  {name}: x{ratio:.2f} faster than the loop reference')
    if 'share' in args.sections:
        report['share'] = share(args.size, args.batch_size, args.budgets, args.scorers,
                                args.repeat, args.device)
        print('forward:\n' + _fmt(report['share']['forward']))
        print('forward+backward:\n' + _fmt(report['share']['forward_backward']))
        print('tokenizer steps (forward):\n' + _fmt(report['share']['steps']))
        for key, s in report['share']['shares'].items():
            print(f'  {key}: scorer {s["scorer_fwd"]:.1%}, tokenizer {s["tokenizer_fwd"]:.1%}, '
                  f'rendering {s["rendering_fwd"]:.1%} of the backbone forward; tokenizer '
                  f'{s["tokenizer_fwd_bwd"]:.1%} of fwd+bwd')
    if 'official' in args.sections:
        report['official'] = official(args.batch_size, args.repeat, args.device)
        print('official DART-S at 448:\n' + _fmt(report['official']['stats']))
        for name, s in report['official']['shares'].items():
            print(f'  {name}: {s:.1%} of the whole backbone')
    if 'ops' in args.sections:
        report['ops'] = op_counts(args.size, args.batch_size, args.budgets, args.scorers,
                                  args.device)
        print('aten operators (host syncs) per forward:')
        for name, c in report['ops'].items():
            print(f'  {name}: {c["ops"]} ({c["syncs"]})')
    if 'profile' in args.sections:
        report['profile'] = profile(args.size, args.batch_size, args.budgets[-1],
                                    args.scorers[0], args.device)
        print(report['profile'])
    report['settings']['load_average_after'] = load_average()
    if args.json:
        write_json(args.json, report)
    return report


if __name__ == '__main__':
    main()
