"""Evidence study: do adaptive tokens pay off on small objects? DART vs the fixed grid.

    python tools/analysis_tools/evidence_study.py [--seeds 0 1 2] [--iters 600]
        [--variants dart_N grid_N grid_2N [dart_N_sharp3] [dart_N_token]] [--scorer grad|conv]
        [--work-dir DIR] [--json OUT] [--update-docs docs/benchmarks.md] [--threads 1]
        [--allocation] [--smoke]

Trains the same tiny segmentor (DARTViT with 96 channels, 4 blocks, 3 heads, blocks 1/2/3
rendered at strides 4/8/16; mmseg's SegformerHead with 64 channels, EncoderDecoder,
ADE20KDataset, IoUMetric and Runner; AdamW, warm-up + poly, batch 8) from scratch on the
generated small-object data (``generate_ade20k_demo(difficulty='hard')``, 400 + 100 images of
140×140, 10 ADE20K classes, things of 3–28 px, most small) with three tokenizers:

* ``dart_N``: DART, N = 100 tokens of p = 14 (each region resampled to 14×14), importance from
  the parameter-free gradient-energy scorer on a 35×35 grid (4 px cells);
* ``grid_N``: the fixed grid of 14×14 px patches, 10×10 = 100 tokens;
* ``grid_2N``: the fixed grid of 10×10 px patches, 14×14 = 196 ≈ 2N tokens;
* ``dart_N_sharp3`` (diagnostic, not run by default): ``dart_N`` with a sharper importance,
  see :class:`SharpenedDARTTokenizer`;
* ``dart_N_token`` (not run by default): ``dart_N`` with the token-space head
  (``TokenMaskTransformerHead`` on the last block's tokens, logits rendered at stride 4)
  instead of SegformerHead on the rendered maps: the head, not the tokenizer, differs.

Why smaller patches for 2N rather than a larger input: the question is whether spending the
same number of tokens where the image is busy is worth as much as more tokens everywhere. With
the image fixed, 2× the tokens means half the area per token, i.e. patches √2 smaller
(14 → 10 px: 196/100 = 1.96×, the nearest integer pair). Upsampling the input √2× with 14 px
patches gives the same area per token but feeds interpolated pixels and changes every other
layer's resolution; smaller patches keep the image, the adapter strides and the head identical
and only change the tokenizer. Everything else (schedule, augmentation, head, loss, seeds) is
equal. The loss weighs classes by 1/sqrt(pixel frequency) (:func:`class_weights`): unweighted,
no variant learns the small things at all in this schedule.

Reports mIoU over the 10 classes and over the 6 small "thing" classes, mean ± sample standard
deviation over seeds (the seed sets the initialization and the data order; the data are fixed),
as JSON and a markdown table (``--update-docs`` replaces the section between the
``evidence-study`` markers of that file). ``--allocation`` trains nothing: it measures the
token area the DART tokenizer gives to thing pixels vs the rest (section ``token-allocation``).
``--smoke`` runs every variant for a few iterations on a handful of images (for the tests).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmseg.evaluation import IoUMetric  # noqa: E402
from mmseg.models.losses import CrossEntropyLoss  # noqa: E402
from mmengine.registry import MODELS as ROOT_MODELS  # noqa: E402
from mmseg.registry import METRICS, MODELS  # noqa: E402

from dart_dense.datasets import (ADE20K_DEMO_CLASSES, ADE20K_DEMO_PALETTE,  # noqa: E402
                                 generate_ade20k_demo)
from dart_dense.models.tokenizers import DARTTokenizer  # noqa: E402
from tools.analysis_tools.helpers import torch_threads, write_json  # noqa: E402

IMAGE_SIZE = 140
BUDGET = 100
THING_CLASSES = ('box', 'flower', 'airplane', 'tent', 'ball', 'plate')
SCORERS = {
    # parameter-free: squared Sobel gradient energy in 4-px cells
    'grad': dict(type='GradientEnergyScorer', stride=4),
    # trainable from scratch, learns through the sampling geometry (stride 4)
    'conv': dict(type='ConvScorer', channels=(16, 32)),
}
VARIANTS = ('dart_N', 'grid_N', 'grid_2N', 'dart_N_sharp3', 'dart_N_token')

# Stock dataset and runtime settings, inherited by scoped path; the rest is set per run.
BASE_CONFIG = """
_base_ = ['mmseg::_base_/datasets/ade20k.py', 'mmseg::_base_/default_runtime.py']
custom_imports = dict(imports=['dart_dense.models', 'dart_dense.models.decode_heads'],
                      allow_failed_imports=False)
"""


@METRICS.register_module(force=True)
class EvidenceIoUMetric(IoUMetric):
    """mmseg's IoUMetric plus per-class IoU (``IoU.<class>``) and ``mIoU_things``, the mean
    over :data:`THING_CLASSES` (present in the dataset's classes), in percent."""

    def compute_metrics(self, results: list) -> dict[str, float]:
        metrics = super().compute_metrics(results)
        inter, union = (sum(r[i] for r in results) for i in (0, 1))
        iou = (inter / union).numpy() * 100  # nan for classes absent from both
        classes = self.dataset_meta['classes']
        for name, value in zip(classes, iou):
            metrics[f'IoU.{name}'] = float(value)
        things = [v for n, v in zip(classes, iou) if n in THING_CLASSES]
        if things:
            metrics['mIoU_things'] = float(np.nanmean(things))
        return metrics


@MODELS.register_module(force=True)
class BalancedCrossEntropyLoss(CrossEntropyLoss):
    """mmseg's CrossEntropyLoss whose ``class_weight`` also works next to ignored pixels.

    mmseg 1.2.2 computes the weighted mean's denominator as ``class_weight[label]``, which
    raises IndexError as soon as a label holds the ignore index (255, "other" here). This
    computes the same weighted mean (Σ wᵢ·lossᵢ / Σ wᵢ over the pixels not ignored) with
    PyTorch's own weighted cross-entropy; every other case is mmseg's code.
    """

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, ignore_index: int = -100,
                **kwargs: Any) -> torch.Tensor:
        if (self.class_weight is None or self.use_sigmoid or self.use_mask
                or weight is not None or avg_factor is not None
                or (reduction_override or self.reduction) != 'mean'):
            return super().forward(cls_score, label, weight, avg_factor, reduction_override,
                                   ignore_index=ignore_index, **kwargs)
        class_weight = cls_score.new_tensor(self.class_weight)
        return self.loss_weight * F.cross_entropy(cls_score, label, weight=class_weight,
                                                  ignore_index=ignore_index)


@ROOT_MODELS.register_module(force=True)
class SharpenedDARTTokenizer(DARTTokenizer):
    """Diagnostic for the study, not a model: importance ``sigmoid(β·z) + floor``.

    DARTTokenizer maps the per-image z-scores z of the scorer's logits to ``sigmoid(z) +
    floor``. Whatever the scorer, z has unit variance, so when small objects fill a few % of
    the image the background sits near z ≈ 0 (sigmoid ≈ 0.5) and the objects get at most
    ~2× its density. β > 1 sharpens that contrast. Implemented by wrapping the tokenizer's
    own ``importance_from_logits`` (same standardization and padding handling), only while
    this tokenizer runs.

    Args:
        sharpness: β.
        **kwargs: DARTTokenizer arguments.
    """

    def __init__(self, sharpness: float = 3.0, **kwargs: Any):
        super().__init__(**kwargs)
        if sharpness <= 0:
            raise ValueError(f'sharpness must be > 0, got {sharpness}')
        self.sharpness = sharpness

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        from dart_dense.models.tokenizers import dart_tokenizer

        original = dart_tokenizer.importance_from_logits

        def sharpened(logits, grid_hw, image_hw, valid_hw=None, standardize='image',
                      floor=0.1):
            score = original(logits, grid_hw, image_hw, valid_hw, standardize, floor=0.0)
            z = torch.logit(score.clamp(1e-6, 1 - 1e-6))  # padded cells (score 0) stay ~0
            return torch.sigmoid(self.sharpness * z) + floor

        dart_tokenizer.importance_from_logits = sharpened
        try:
            return super().forward(*args, **kwargs)
        finally:
            dart_tokenizer.importance_from_logits = original


def class_weights(data_root: Path) -> list[float]:
    """Loss weights ∝ 1/sqrt(pixel frequency) of each class in the training labels, mean 1.

    The six thing classes cover ~0.5 % of the pixels each, the four stuff classes ~17–29 %:
    unweighted, a few hundred iterations learn the stuff only (every variant scores 0 IoU
    on things, so the study would show nothing). The milder square-root balancing (things
    get ~6× the weight of stuff) is the same for every variant.
    """
    import cv2

    from dart_dense.datasets import ADE20K_DEMO_LABEL_IDS

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


def variant_model(variant: str, scorer: str, num_classes: int,
                  class_weight: Optional[list[float]] = None) -> dict:
    """The segmentor config of one variant (only the tokenizer and patch size differ;
    ``dart_N_token``: only the head and what the backbone returns for it)."""
    if variant in ('dart_N', 'dart_N_sharp3', 'dart_N_token'):
        tokenizer = dict(type='DARTTokenizer', num_tokens=BUDGET, grid_stride=4,
                         scorer=SCORERS[scorer])
        if variant == 'dart_N_sharp3':  # the diagnostic: β = 3 (see SharpenedDARTTokenizer)
            tokenizer.update(type='SharpenedDARTTokenizer', sharpness=3.0)
        patch = 14
    elif variant in ('grid_N', 'grid_2N'):
        tokenizer = dict(type='GridTokenizer')
        patch = 14 if variant == 'grid_N' else 10
    else:
        raise ValueError(f'variant must be one of {VARIANTS}, got {variant!r}')
    dims, channels = 96, 64
    norm_cfg = dict(type='BN', requires_grad=True)  # single process, CPU: no SyncBN
    loss = dict(type='BalancedCrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                class_weight=class_weight)
    # the light all-MLP head (1x1 convs, fused at stride 4): the backbone dominates
    head = dict(type='SegformerHead', in_channels=[dims] * 3, in_index=[0, 1, 2],
                channels=channels, dropout_ratio=0.0, num_classes=num_classes,
                norm_cfg=norm_cfg, align_corners=False, loss_decode=loss)
    outputs = dict(out_indices=(1, 2, 3), out_strides=(4, 8, 16))
    if variant == 'dart_N_token':  # Segmenter's mask transformer on the last block's tokens
        head = dict(type='TokenMaskTransformerHead', in_channels=dims, channels=dims,
                    num_layers=2, num_heads=3, embed_dims=dims, drop_path_rate=0.0,
                    dropout_ratio=0.0, num_classes=num_classes, render_stride=4,
                    loss_decode=loss)
        outputs = dict(out_indices=(3, ), out_type='tokens')
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
                               seg_pad_val=255, size=(IMAGE_SIZE, IMAGE_SIZE)),
        backbone=dict(type='DARTViT', arch=dict(embed_dims=dims, depth=4, num_heads=3),
                      img_size=IMAGE_SIZE, patch_size=patch, tokenizer=tokenizer, **outputs),
        decode_head=head,
        train_cfg=dict(), test_cfg=dict(mode='whole'))


def run_config(variant: str, scorer: str, seed: int, data_root: Path, work_dir: Path,
               iters: int, batch_size: int):
    """The full mmengine config of one training run."""
    from mmengine.config import Config

    cfg = Config.fromstring(BASE_CONFIG, '.py')
    metainfo = dict(classes=ADE20K_DEMO_CLASSES, palette=ADE20K_DEMO_PALETTE)
    train_pipeline = [dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations', reduce_zero_label=True),
                      dict(type='RandomFlip', prob=0.5), dict(type='PackSegInputs')]
    test_pipeline = [dict(type='LoadImageFromFile'),
                     dict(type='LoadAnnotations', reduce_zero_label=True),
                     dict(type='PackSegInputs')]

    def loader(split: str, pipeline: list, train: bool) -> dict:
        return dict(batch_size=batch_size, num_workers=0, persistent_workers=False,
                    sampler=dict(type='InfiniteSampler' if train else 'DefaultSampler',
                                 shuffle=train),
                    dataset=dict(type='ADE20KDataset', data_root=str(data_root),
                                 metainfo=metainfo, pipeline=pipeline,
                                 data_prefix=dict(img_path=f'images/{split}',
                                                  seg_map_path=f'annotations/{split}')))

    warmup = max(1, iters // 10)
    cfg.merge_from_dict(dict(
        model=variant_model(variant, scorer, len(ADE20K_DEMO_CLASSES),
                            class_weights(data_root)),
        train_dataloader=loader('training', train_pipeline, True),
        val_dataloader=loader('validation', test_pipeline, False),
        test_dataloader=loader('validation', test_pipeline, False),
        val_evaluator=dict(type='EvidenceIoUMetric', iou_metrics=['mIoU']),
        test_evaluator=dict(type='EvidenceIoUMetric', iou_metrics=['mIoU']),
        # no validation while training: one evaluation after the last iteration
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1),
        val_cfg=dict(type='ValLoop'), test_cfg=dict(type='TestLoop'),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01),
                           clip_grad=dict(max_norm=1.0)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup),
            dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False, begin=warmup,
                 end=iters)],
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
            checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=iters,
                            max_keep_ckpts=1)),
        randomness=dict(seed=seed),
        work_dir=str(work_dir),
        log_level='WARNING',
        experiment_name=f'{variant}_seed{seed}_{time.strftime("%H%M%S")}'))
    return cfg


def train_and_evaluate(cfg) -> dict[str, Any]:
    """Train one run with mmengine's Runner; returns its validation metrics and time."""
    from mmengine.runner import Runner

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


def load_split(data_root: Path, split: str = 'validation',
               limit: Optional[int] = None) -> tuple[torch.Tensor, np.ndarray]:
    """Normalized RGB images (B, 3, S, S) and thing masks (B, S, S) of a split."""
    import cv2

    from dart_dense.datasets import ADE20K_DEMO_LABEL_IDS

    thing_ids = [i for n, i in zip(ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS)
                 if n in THING_CLASSES]
    paths = sorted((data_root / 'images' / split).glob('*.jpg'))[:limit]
    images = np.stack([cv2.imread(str(p))[..., ::-1] for p in paths]).astype(np.float32)
    labels = np.stack([cv2.imread(str(data_root / 'annotations' / split / f'{p.stem}.png'),
                                  cv2.IMREAD_GRAYSCALE) for p in paths])
    mean, std = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])
    images = torch.from_numpy((images - mean) / std).float().permute(0, 3, 1, 2)
    return images, np.isin(labels, thing_ids)


def _sharpened_layout(tokenizer: Any, images: torch.Tensor, sharpness: float) -> Any:
    """The partition of ``sigmoid(sharpness·z) + floor``, z the per-image z-scores of the
    scorer's logits on the tokenizer's grid (the tokenizer itself uses sharpness 1)."""
    from dart_dense.models.tokenizers import quantile_partition

    hw = tuple(images.shape[-2:])
    z = F.interpolate(tokenizer.scorer(images), size=tokenizer.partition_grid(hw),
                      mode='bilinear', align_corners=False)[:, 0]
    z = (z - z.mean(dim=(1, 2), keepdim=True)) / z.std(dim=(1, 2), keepdim=True)
    importance = torch.sigmoid(sharpness * z) + tokenizer.score_floor
    return quantile_partition(importance, hw, BUDGET, tokenizer.num_rows)


def allocation(data_root: Path, settings: dict[str, dict], scorer: str = 'grad',
               limit: int = 50) -> dict[str, dict[str, float]]:
    """Where a parameter-free DART tokenizer spends its budget on the validation images.

    For each tokenizer setting (keyword overrides of the study's DARTTokenizer): the median
    area (px²), band height and width (area / height) of the token covering a thing pixel,
    and the median area at the other pixels. The fixed grids are p² everywhere (196 and 100).

    A setting may also give ``sharpness`` β (diagnostic only, the tokenizer has no such knob):
    the partition then uses ``sigmoid(β·z) + floor`` of the per-image standardized scorer
    logits z instead of the tokenizer's ``sigmoid(z) + floor``.
    """
    from mmengine.registry import MODELS as ROOT_MODELS

    import dart_dense.models  # noqa: F401
    images, things = load_split(data_root, limit=limit)
    out = {}
    for name, overrides in settings.items():
        cfg = dict(type='DARTTokenizer', in_channels=3, embed_dims=8, patch_size=14,
                   num_tokens=BUDGET, grid_stride=4, scorer=SCORERS[scorer])
        sharpness = overrides.get('sharpness')
        cfg.update({k: v for k, v in overrides.items() if k != 'sharpness'})
        tokenizer = ROOT_MODELS.build(cfg)
        with torch.no_grad():
            if sharpness is None:
                layout = tokenizer(images).layout
            else:
                layout = _sharpened_layout(tokenizer, images, sharpness)
            area = layout.to_dense(layout.token_areas()[..., None], 1)[:, 0].numpy()
            rows = torch.arange(IMAGE_SIZE, dtype=layout.row_edges.dtype) + 0.5
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


def summarize_runs(runs: list[dict], key: str) -> dict[str, dict[str, float]]:
    """Per variant: mean, sample std, min, max and count of ``metrics[key]``."""
    out = {}
    for variant in dict.fromkeys(r['variant'] for r in runs):
        values = [r['metrics'][key] for r in runs if r['variant'] == variant
                  and key in r['metrics']]
        if not values:
            continue
        out[variant] = dict(mean=statistics.fmean(values), min=min(values), max=max(values),
                            std=statistics.stdev(values) if len(values) > 1 else 0.0,
                            n=len(values))
    return out


def markdown_table(report: dict[str, Any]) -> str:
    """The mIoU table (mean ± std over seeds, min–max) as markdown."""
    tokens = {'dart_N': f'{BUDGET} (adaptive, p=14)', 'grid_N': '100 (14 px grid)',
              'grid_2N': '196 (10 px grid)',
              'dart_N_sharp3': f'{BUDGET} (adaptive, p=14, β=3)',
              'dart_N_token': f'{BUDGET} (adaptive, p=14), token head'}
    mean_all, mean_things = report['summary']['mIoU'], report['summary'].get('mIoU_things', {})
    seconds = {v: statistics.fmean(r['train_seconds'] for r in report['runs']
                                   if r['variant'] == v) for v in mean_all}
    lines = ['| variant | tokens | mIoU (all 10 classes) | mIoU (6 thing classes) | '
             'train s/run |', '|---|---|---|---|---|']

    def cell(stats: Optional[dict]) -> str:
        if not stats:
            return 'n/a'
        return (f'{stats["mean"]:.2f} ± {stats["std"]:.2f} '
                f'({stats["min"]:.2f}–{stats["max"]:.2f})')
    for variant, stats in mean_all.items():
        name = variant + (f' ({report["settings"]["scorer"]} scorer)'
                          if variant.startswith('dart') else '')
        lines.append(f'| {name} | {tokens.get(variant, "?")} | {cell(stats)} | '
                     f'{cell(mean_things.get(variant))} | {seconds[variant]:.0f} |')
    return '\n'.join(lines)


def update_docs(path: Path, text: str, section: str = 'evidence-study') -> None:
    """Replace the text between ``<!-- SECTION:start/end -->`` markers of ``path`` (or append
    the marked block if absent)."""
    start, end = f'<!-- {section}:start -->', f'<!-- {section}:end -->'
    block = f'{start}\n{text}\n{end}'
    doc = path.read_text() if path.exists() else ''
    if start in doc and end in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip('\n') + '\n\n' + block + '\n'
    path.write_text(doc)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DART vs fixed-grid evidence study')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=600, help='training iterations per run')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--variants', nargs='+', choices=VARIANTS, default=list(VARIANTS[:3]))
    parser.add_argument('--scorer', choices=sorted(SCORERS), default='grad')
    parser.add_argument('--data-root', default='data/evidence_hard',
                        help='generated once (idempotent) under this directory')
    parser.add_argument('--work-dir', default='work_dirs/evidence_study')
    parser.add_argument('--json', help='write every run and the summary here')
    parser.add_argument('--update-docs', help='markdown file whose evidence-study section '
                                              'is replaced with the table')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch intra-op threads (1: on a shared 2-core machine two '
                             'threads spin-wait for each other and cost ~6x the CPU)')
    parser.add_argument('--allocation', action='store_true',
                        help='only measure where the (parameter-free) DART tokenizer puts its '
                             'tokens on the validation images, for a few settings; no training')
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


ALLOCATION_SETTINGS = {
    'DART default (β=1, floor 0.1, R=10)': {},
    'R=20 rows': dict(num_rows=20),
    'floor 0.02': dict(score_floor=0.02),
    'β=2': dict(sharpness=2.0),
    'β=3': dict(sharpness=3.0),
    'β=3, floor 0.02': dict(sharpness=3.0, score_floor=0.02),
}


def allocation_table(stats: dict[str, dict[str, float]]) -> str:
    lines = ['| tokenizer | token area at thing pixels (px², median) | band height × width at '
             'things (px) | token area elsewhere (px²) |', '|---|---|---|---|',
             '| grid_N (14 px) | 196 | 14 × 14 | 196 |',
             '| grid_2N (10 px) | 100 | 10 × 10 | 100 |']
    for name, s in stats.items():
        lines.append(f'| {name} | {s["area_things"]:.0f} | {s["height_things"]:.1f} × '
                     f'{s["width_things"]:.1f} | {s["area_other"]:.0f} |')
    return '\n'.join(lines)


def study(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the data, train and evaluate every (seed, variant), write the reports."""
    data_root = generate_ade20k_demo(Path(args.data_root).resolve(), num_train=args.num_train,
                                     num_val=args.num_val, size=IMAGE_SIZE, seed=0,
                                     difficulty='hard')
    if args.allocation:
        stats = allocation(data_root, ALLOCATION_SETTINGS, args.scorer)
        table = allocation_table(stats)
        print(table)
        if args.json:
            write_json(args.json, dict(scorer=args.scorer, allocation=stats))
        if args.update_docs:
            update_docs(Path(args.update_docs), table, section='token-allocation')
        return dict(allocation=stats)
    runs = []
    for seed in args.seeds:  # seed-major: a partial study still compares all variants
        for variant in args.variants:
            cfg = run_config(variant, args.scorer, seed, data_root,
                             Path(args.work_dir) / f'{variant}_seed{seed}', args.iters,
                             args.batch_size)
            result = train_and_evaluate(cfg)
            runs.append(dict(variant=variant, seed=seed, **result))
            print(f'{variant} seed {seed}: mIoU {result["metrics"]["mIoU"]:.2f}, things '
                  f'{result["metrics"].get("mIoU_things", float("nan")):.2f} '
                  f'({result["train_seconds"]:.0f} s)', flush=True)
    report = dict(
        settings=dict(seeds=args.seeds, iters=args.iters, batch_size=args.batch_size,
                      num_train=args.num_train, num_val=args.num_val, scorer=args.scorer,
                      image_size=IMAGE_SIZE, budget=BUDGET, smoke=args.smoke,
                      threads=args.threads),
        runs=runs,
        summary={key: summarize_runs(runs, key) for key in ('mIoU', 'mIoU_things')})
    table = markdown_table(report)
    print(table)
    if args.json:
        write_json(args.json, report)
    if args.update_docs:
        update_docs(Path(args.update_docs), table)
    return report


if __name__ == '__main__':
    main()
