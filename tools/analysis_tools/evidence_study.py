"""Evidence study: do adaptive tokens pay off on small objects? DART vs the fixed grid.

    python tools/analysis_tools/evidence_study.py [--seeds 0 1 2] [--iters 600]
        [--variants dart_N grid_N grid_2N [dart_N_sharp3] [dart_N_token]] [--scorer grad|conv]
        [--work-dir DIR] [--json OUT] [--update-docs docs/benchmarks.md] [--threads 1]
        [--allocation] [--smoke]

Each variant is a config in ``configs/seg/evidence/`` (shared ``_base_``: model, data,
schedule). The tool generates the small-object data once, trains every (seed, variant) with
mmengine's Runner (overriding only data root, work dir, seed, iterations, batch size and the
data's class weights: :func:`run_options`) and reports mIoU and ``mIoU_things`` as mean ±
sample std over seeds, as JSON and a markdown table (``--update-docs``: the ``evidence-study``
section of that file). ``--allocation`` trains nothing: where ``dart_N``'s tokenizer puts its
tokens (section ``token-allocation``). ``--smoke``: a few iterations on a handful of images.
Setting, design and results: docs/benchmarks.md §4.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.registry import MODELS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from timm.layers import to_2tuple  # noqa: E402

from dart_dense.datasets import (ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS,  # noqa: E402
                                 generate_ade20k_demo)
from tools.analysis_tools.helpers import torch_threads, update_section, write_json  # noqa: E402

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / 'seg' / 'evidence'
VARIANTS = tuple(sorted(p.stem for p in CONFIG_DIR.glob('*.py')))
DEFAULT_VARIANTS = ['dart_N', 'grid_N', 'grid_2N']
# --scorer: the configs' parameter-free gradient energy, or a ConvScorer trained from scratch
SCORERS = {'grad': None, 'conv': dict(_delete_=True, type='ConvScorer', channels=(16, 32))}
# tokenizer overrides of dart_N for --allocation
ALLOCATION_SETTINGS = {
    'DART default (β=1, floor 0.1, R=10)': {},
    'R=20 rows': dict(num_rows=20),
    'floor 0.02': dict(score_floor=0.02),
    'β=2': dict(score_sharpness=2.0),
    'β=3': dict(score_sharpness=3.0),
    'β=3, floor 0.02': dict(score_sharpness=3.0, score_floor=0.02),
}


def class_weights(data_root: Path) -> list[float]:
    """Loss weights ∝ 1/sqrt(pixel frequency) of each class in the training labels, mean 1
    (why: the base config's ``class_weight``)."""
    counts = np.zeros(256)
    for path in sorted((data_root / 'annotations' / 'training').glob('*.png')):
        counts += np.bincount(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).ravel(),
                              minlength=256)
    if not counts.any():
        raise FileNotFoundError(f'no training labels under {data_root}/annotations/training')
    # +1 pixel: a class absent from a tiny split (the smoke test's) gets a finite weight
    freq = (counts[list(ADE20K_DEMO_LABEL_IDS)] + 1) / counts.sum()
    weights = 1 / np.sqrt(freq)
    return [round(float(w), 4) for w in weights / weights.mean()]


def variant_config(variant: str, scorer: str = 'grad') -> Config:
    """The config of one variant, with ``--scorer``'s scorer for the DART tokenizers."""
    if variant not in VARIANTS:
        raise ValueError(f'variant must be one of {VARIANTS} (configs in {CONFIG_DIR}), '
                         f'got {variant!r}')
    cfg = Config.fromfile(str(CONFIG_DIR / f'{variant}.py'))
    if SCORERS[scorer] is not None and cfg.model.backbone.tokenizer.type == 'DARTTokenizer':
        cfg.merge_from_dict({'model.backbone.tokenizer.scorer': SCORERS[scorer]})
    return cfg


def run_options(data_root: Path, work_dir: Path, seed: int, iters: int, batch_size: int,
                class_weight: list[float]) -> dict[str, Any]:
    """The ``--cfg-options`` of one run (the configs' schedule is written for 600 iterations:
    warm-up a tenth of the run, one evaluation and one checkpoint at its end)."""
    warmup = max(1, iters // 10)
    options = {'work_dir': str(work_dir), 'randomness.seed': seed,
               'model.decode_head.loss_decode.class_weight': class_weight,
               'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters + 1,
               'param_scheduler.0.end': warmup, 'param_scheduler.1.begin': warmup,
               'param_scheduler.1.end': iters, 'default_hooks.checkpoint.interval': iters}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.batch_size': batch_size,
                        f'{loader}.dataset.data_root': str(data_root)})
    return options


def describe_tokens(cfg: Config) -> str:
    """The markdown table's token column, e.g. ``100 (adaptive, p=14, β=3)``."""
    backbone = cfg.model.backbone
    tokenizer, p = backbone.tokenizer, backbone.patch_size
    if tokenizer.type == 'DARTTokenizer':
        sharpness = tokenizer.get('score_sharpness', 1.0)
        text = f'{tokenizer.num_tokens} (adaptive, p={p}' + (
            f', β={sharpness:g})' if sharpness != 1 else ')')
    else:
        h, w = to_2tuple(backbone.img_size)
        text = f'{math.ceil(h / p) * math.ceil(w / p)} ({p} px grid)'
    return text + (', token head' if backbone.get('out_type') == 'tokens' else '')


def train_and_evaluate(cfg: Config) -> dict[str, Any]:
    """Train one run with mmengine's Runner; returns its validation metrics and time."""
    Path(cfg.work_dir).mkdir(parents=True, exist_ok=True)
    cfg.dump(str(Path(cfg.work_dir) / 'config.py'))
    start = time.perf_counter()
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_seconds = time.perf_counter() - start
    metrics = runner.val()
    return dict(metrics={k: float(v) for k, v in metrics.items()},
                train_seconds=train_seconds,
                checkpoint=str(Path(cfg.work_dir) / f'iter_{cfg.train_cfg.max_iters}.pth'))


def load_split(data_root: Path, thing_classes: list[str], preprocessor: dict,
               split: str = 'validation', limit: Optional[int] = None
               ) -> tuple[torch.Tensor, np.ndarray]:
    """Normalized RGB images (B, 3, H, W) and thing masks (B, H, W) of a split."""
    thing_ids = [i for n, i in zip(ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS)
                 if n in thing_classes]
    paths = sorted((data_root / 'images' / split).glob('*.jpg'))[:limit]
    images = np.stack([cv2.imread(str(p))[..., ::-1] for p in paths]).astype(np.float32)
    labels = np.stack([cv2.imread(str(data_root / 'annotations' / split / f'{p.stem}.png'),
                                  cv2.IMREAD_GRAYSCALE) for p in paths])
    mean, std = np.array(preprocessor['mean']), np.array(preprocessor['std'])
    images = torch.from_numpy((images - mean) / std).float().permute(0, 3, 1, 2)
    return images, np.isin(labels, thing_ids)


def allocation(data_root: Path, settings: dict[str, dict], scorer: str = 'grad',
               limit: int = 50) -> dict[str, dict[str, float]]:
    """Where dart_N's tokenizer (untrained: its scorer has no parameters) spends its budget on
    the validation images, for each setting (keyword overrides of the tokenizer config): the
    median area (px²), band height and width (area / height) of the token covering a thing
    pixel, and the median area at the other pixels. The fixed grids are p² everywhere."""
    cfg = variant_config('dart_N', scorer)
    images, things = load_split(data_root, list(cfg.val_evaluator.class_groups['things']),
                                cfg.model.data_preprocessor, limit=limit)
    base = dict(cfg.model.backbone.tokenizer, in_channels=3, embed_dims=8,
                patch_size=cfg.model.backbone.patch_size)
    out = {}
    for name, overrides in settings.items():
        tokenizer = MODELS.build(dict(base, **overrides))
        with torch.no_grad():
            layout = tokenizer(images).layout
            area = layout.to_dense(layout.token_areas()[..., None], 1)[:, 0].numpy()
            rows = torch.arange(images.shape[-2], dtype=layout.row_edges.dtype) + 0.5
            band = torch.searchsorted(layout.row_edges[:, 1:-1].contiguous(),
                                      rows.expand(len(images), -1).contiguous())
            height = torch.gather(layout.row_edges.diff(dim=1), 1, band)  # (B, H) per row
        height = np.broadcast_to(height.numpy()[:, :, None], area.shape)
        out[name] = dict(area_things=float(np.median(area[things])),
                         area_other=float(np.median(area[~things])),
                         height_things=float(np.median(height[things])),
                         width_things=float(np.median((area / height)[things])),
                         rows=layout.num_rows)
    return out


def allocation_table(stats: dict[str, dict[str, float]]) -> str:
    lines = ['| tokenizer | token area at thing pixels (px², median) | band height × width at '
             'things (px) | token area elsewhere (px²) |', '|---|---|---|---|',
             '| grid_N (14 px) | 196 | 14 × 14 | 196 |',
             '| grid_2N (10 px) | 100 | 10 × 10 | 100 |']
    for name, s in stats.items():
        lines.append(f'| {name} | {s["area_things"]:.0f} | {s["height_things"]:.1f} × '
                     f'{s["width_things"]:.1f} | {s["area_other"]:.0f} |')
    return '\n'.join(lines)


def summarize_runs(runs: list[dict], key: str) -> dict[str, dict[str, float]]:
    """Per variant: mean, sample std, min, max and count of ``metrics[key]``."""
    out = {}
    for variant in dict.fromkeys(r['variant'] for r in runs):
        values = [r['metrics'][key] for r in runs if r['variant'] == variant
                  and key in r['metrics']]
        if values:
            out[variant] = dict(mean=statistics.fmean(values), min=min(values),
                                max=max(values), n=len(values),
                                std=statistics.stdev(values) if len(values) > 1 else 0.0)
    return out


def markdown_table(report: dict[str, Any]) -> str:
    """The mIoU table (mean ± std over seeds, min–max) as markdown."""
    runs = {r['variant']: r for r in report['runs']}
    mean_all, mean_things = report['summary']['mIoU'], report['summary'].get('mIoU_things', {})
    lines = ['| variant | tokens | mIoU (all 10 classes) | mIoU (6 thing classes) | '
             'train s/run |', '|---|---|---|---|---|']

    def cell(stats: Optional[dict]) -> str:
        if not stats:
            return 'n/a'
        return (f'{stats["mean"]:.2f} ± {stats["std"]:.2f} '
                f'({stats["min"]:.2f}–{stats["max"]:.2f})')
    for variant, stats in mean_all.items():
        seconds = statistics.fmean(r['train_seconds'] for r in report['runs']
                                   if r['variant'] == variant)
        scorer = runs[variant]['scorer']
        name = variant + (f' ({scorer} scorer)' if scorer else '')
        lines.append(f'| {name} | {runs[variant]["tokens"]} | {cell(stats)} | '
                     f'{cell(mean_things.get(variant))} | {seconds:.0f} |')
    return '\n'.join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DART vs fixed-grid evidence study')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=600, help='training iterations per run')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--variants', nargs='+', choices=VARIANTS, default=DEFAULT_VARIANTS,
                        help=f'configs in {CONFIG_DIR.relative_to(CONFIG_DIR.parents[2])}/')
    parser.add_argument('--scorer', choices=sorted(SCORERS), default='grad')
    parser.add_argument('--data-root', default='data/evidence_hard',
                        help='generated once (idempotent) under this directory')
    parser.add_argument('--work-dir', default='work_dirs/evidence_study')
    parser.add_argument('--json', help='write every run and the summary here')
    parser.add_argument('--update-docs', help='markdown file whose evidence-study (with '
                                              '--allocation: token-allocation) section to fill')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch intra-op threads (1 suits a shared 2-core machine)')
    parser.add_argument('--allocation', action='store_true',
                        help="no training: where dart_N's tokenizer puts its tokens")
    parser.add_argument('--smoke', action='store_true',
                        help='a few iterations on a handful of images (tests)')
    args = parser.parse_args(argv)
    if args.smoke:
        args.iters, args.batch_size, args.num_train, args.num_val = 2, 2, 4, 2
    if args.iters < 1 or args.batch_size < 1:
        parser.error('--iters and --batch-size must be >= 1')
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    with torch_threads(args.threads):
        return study(args)


def study(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the data, train and evaluate every (seed, variant), write the reports."""
    size = Config.fromfile(str(CONFIG_DIR / '_base_' / 'evidence_segformer.py')).image_size
    data_root = generate_ade20k_demo(Path(args.data_root).resolve(), num_train=args.num_train,
                                     num_val=args.num_val, size=size, seed=0,
                                     difficulty='hard')
    if args.allocation:
        stats = allocation(data_root, ALLOCATION_SETTINGS, args.scorer)
        table = allocation_table(stats)
        print(table)
        if args.json:
            write_json(args.json, dict(scorer=args.scorer, allocation=stats))
        if args.update_docs:
            update_section(args.update_docs, 'token-allocation', table)
        return dict(allocation=stats)
    weights, runs = class_weights(data_root), []
    for seed in args.seeds:  # seed-major: a partial study still compares all variants
        for variant in args.variants:
            cfg = variant_config(variant, args.scorer)
            cfg.merge_from_dict(run_options(
                data_root, Path(args.work_dir) / f'{variant}_seed{seed}', seed, args.iters,
                args.batch_size, weights))
            result = train_and_evaluate(cfg)
            dart = cfg.model.backbone.tokenizer.type == 'DARTTokenizer'
            runs.append(dict(variant=variant, seed=seed, tokens=describe_tokens(cfg),
                             scorer=args.scorer if dart else None, **result))
            things = result['metrics'].get('mIoU_things', math.nan)
            print(f'{variant} seed {seed}: mIoU {result["metrics"]["mIoU"]:.2f}, things '
                  f'{things:.2f} ({result["train_seconds"]:.0f} s)', flush=True)
    report = dict(
        settings=dict(seeds=args.seeds, iters=args.iters, batch_size=args.batch_size,
                      num_train=args.num_train, num_val=args.num_val, scorer=args.scorer,
                      image_size=size, smoke=args.smoke, threads=args.threads,
                      configs={v: f'configs/seg/evidence/{v}.py' for v in args.variants}),
        runs=runs,
        summary={key: summarize_runs(runs, key) for key in ('mIoU', 'mIoU_things')})
    table = markdown_table(report)
    print(table)
    if args.json:
        write_json(args.json, report)
    if args.update_docs:
        update_section(args.update_docs, 'evidence-study', table)
    return report


if __name__ == '__main__':
    main()
