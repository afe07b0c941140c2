"""Where a DART detector's tokens go: onto batch padding (padding-aware vs plain) and onto
the objects (DART vs the fixed grid).

    python tools/analysis_tools/det_token_budget.py CONFIG [--checkpoint CKPT]
        [--batch-size 4] [--split val] [--json OUT]

Padding: mmdet pads every batch to its largest image. The config's data loader builds the
batches (``--batch-size`` images each, in dataset order, padded by the model's data
preprocessor), and the backbone's tokenizer partitions each batch twice: with every image's
valid size (``valid_hw``, what ``DARTSingleStageDetector`` / ``DARTTwoStageDetector`` pass)
and without (what mmdet's plain detectors do). A token counts towards the padding by the
fraction of its area that lies there. A fixed grid spends the padding's area share of its
tokens there.

Objects: every image alone (no padding), the tokens inside each ground-truth box, counted the
same way, averaged over COCO-small (box area under 32² in the original image) and larger
objects; and the share of all tokens that lie in boxes against the boxes' share of the area.
Works for fixed-grid configs too (``GridTokenizer`` layouts).

``--checkpoint`` is needed only for scorers with learned weights (the gradient-energy scorer
of the demo configs has none).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from tools.analysis_tools.helpers import write_json  # noqa: E402


def token_shares(layout, boxes: Tensor) -> Tensor:
    """(B, M, N) fraction of every token's area inside each of M boxes per image.

    Summed over the tokens, it is the number of tokens a box holds (a token half inside
    counts a half).

    Args:
        layout: the batch's :class:`~dart_dense.structures.TokenLayout`.
        boxes: (B, M, 4) ``x1, y1, x2, y2`` in the layout's image pixels.
    """
    parts, exists = layout.token_boxes()  # (B, N, K, 4), (B, N, K)
    px1, py1, px2, py2 = (v[:, None] for v in parts.unbind(-1))  # (B, 1, N, K)
    bx1, by1, bx2, by2 = (v[:, :, None, None] for v in boxes.unbind(-1))  # (B, M, 1, 1)
    inside = ((torch.minimum(px2, bx2) - torch.maximum(px1, bx1)).clamp_min(0) *
              (torch.minimum(py2, by2) - torch.maximum(py1, by1)).clamp_min(0) *
              exists[:, None]).sum(-1)
    return inside / layout.token_areas()[:, None]


def padding_share(layout, valid_hw: Tensor) -> Tensor:
    """(B, N) fraction of every token's area outside its image's valid (h, w) box.

    Args:
        layout: the batch's :class:`~dart_dense.structures.TokenLayout`.
        valid_hw: (B, 2) valid height and width of each image (top-left aligned).
    """
    zeros = torch.zeros_like(valid_hw)
    valid_box = torch.cat([zeros, valid_hw.flip(-1)], dim=-1)[:, None]  # (B, 1, 4) x1 y1 x2 y2
    return 1 - token_shares(layout, valid_box)[:, 0]


def _build(config: str, checkpoint: Optional[str]) -> tuple[Any, torch.nn.Module]:
    """The config (mmengine ``Config``) and its model in eval mode (weights from
    ``checkpoint``, if given; no pretrained backbone is loaded)."""
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
    from mmdet.registry import MODELS

    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model).eval()
    if checkpoint:
        with mmengine_checkpoint_globals():
            load_checkpoint(model, checkpoint, map_location='cpu')
    return cfg, model


def _batches(cfg: Any, split: str, batch_size: int) -> Iterable[dict]:
    """The config's ``split`` data loader with ``batch_size`` images per batch."""
    from mmengine.runner import Runner

    loader_cfg = cfg[f'{split}_dataloader']
    loader_cfg.batch_size = batch_size
    return Runner.build_dataloader(loader_cfg)


@torch.no_grad()
def measure(config: str, checkpoint: Optional[str], batch_size: int, split: str) -> dict:
    """Tokens on the padding, per image, averaged over the split (see the module doc)."""
    from dart_dense.models.detectors import valid_sizes

    cfg, model = _build(config, checkpoint)
    totals = dict(images=0, tokens=0.0, padded_area=0.0, aware=0.0, plain=0.0)
    for batch in _batches(cfg, split, batch_size):
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        valid = valid_sizes(inputs, samples)
        area = inputs.shape[-2] * inputs.shape[-1]
        totals['padded_area'] += float((1 - valid.prod(1) / area).sum())
        for key, hw in (('aware', valid), ('plain', None)):
            _, out = model.backbone.tokenize(inputs, valid_hw=hw)
            totals[key] += float(padding_share(out.layout, valid).sum())
        totals['tokens'] += out.layout.num_tokens * inputs.shape[0]
        totals['images'] += inputs.shape[0]
    n = totals.pop('images')
    result = {k: v / n for k, v in totals.items()}
    result.update(images=n, batch_size=batch_size, split=split, config=config,
                  grid=result['padded_area'] * result['tokens'])
    return result


@torch.no_grad()
def measure_objects(config: str, checkpoint: Optional[str], split: str) -> dict:
    """Tokens per ground-truth object, and their density relative to an even spread.

    Every image alone; for each box, the tokens inside it (a token counts by its area share)
    and that count divided by what an even spread would put there (budget × the box's share
    of the image area): 1 for a fixed grid (up to its cell edges), above 1 where DART puts
    more tokens. Averaged over COCO-small boxes (area under 32² in the original image) and
    the larger ones.
    """
    cfg, model = _build(config, checkpoint)
    tokens = {'small': [], 'larger': []}
    density = {'small': [], 'larger': []}
    images = 0
    for batch in _batches(cfg, split, 1):
        data = model.data_preprocessor(batch, False)
        inputs, sample = data['inputs'], data['data_samples'][0]
        boxes = sample.gt_instances.bboxes  # (M, 4) in the resized image, as the inputs
        boxes = getattr(boxes, 'tensor', boxes).float()
        if len(boxes) == 0:
            continue
        _, out = model.backbone.tokenize(inputs, valid_hw=None)
        count = token_shares(out.layout, boxes[None])[0].sum(1)  # (M,)
        area = (boxes[:, 2:] - boxes[:, :2]).prod(1)
        even = out.layout.num_tokens * area / (inputs.shape[-2] * inputs.shape[-1])
        small = area / torch.as_tensor(sample.scale_factor).prod() < 32 ** 2
        for key, selected in (('small', small), ('larger', ~small)):
            tokens[key] += count[selected].tolist()
            density[key] += (count / even)[selected].tolist()
        images += 1
    result = dict(config=config, split=split, images=images)
    for key in ('small', 'larger'):
        n = len(tokens[key])
        result.update({f'{key}_objects': n,
                       f'tokens_per_{key}_object': sum(tokens[key]) / max(n, 1),
                       f'{key}_object_density': sum(density[key]) / max(n, 1)})
    return result


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='detection config with a DARTViT backbone')
    parser.add_argument('--checkpoint', help='weights (only for scorers that learn)')
    parser.add_argument('--batch-size', type=int, default=4, help='images per padded batch')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='val')
    parser.add_argument('--json', help='write the result here')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def main(argv: Optional[list[str]] = None) -> dict:
    args = parse_args(argv)
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmdet'):
        padding = measure(args.config, args.checkpoint, args.batch_size, args.split)
        objects = measure_objects(args.config, args.checkpoint, args.split)
    print(f"{padding['images']} {args.split} images in padded batches of {args.batch_size}: "
          f"{padding['tokens']:.1f} tokens per image, padding {100 * padding['padded_area']:.1f}"
          ' % of the batch area')
    print(f"tokens on the padding per image: padding-aware {padding['aware']:.2f}, "
          f"plain {padding['plain']:.2f}, fixed grid {padding['grid']:.2f}")
    print(f"each image alone: tokens per object (density vs an even spread): "
          f"{objects['small_objects']} small {objects['tokens_per_small_object']:.2f} "
          f"({objects['small_object_density']:.2f}x), {objects['larger_objects']} larger "
          f"{objects['tokens_per_larger_object']:.2f} ({objects['larger_object_density']:.2f}x)")
    result = dict(padding=padding, objects=objects)
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == '__main__':
    main()
