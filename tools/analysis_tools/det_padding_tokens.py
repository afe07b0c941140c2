"""Tokens a DART detector's backbone spends on batch padding: padding-aware vs plain.

    python tools/analysis_tools/det_padding_tokens.py CONFIG [--checkpoint CKPT]
        [--batch-size 4] [--split val] [--json OUT]

mmdet pads every batch to its largest image. The config's data loader builds the batches
(``--batch-size`` images each, in dataset order, padded by the model's data preprocessor),
and the backbone's tokenizer partitions each batch twice: with every image's valid size
(``valid_hw``, what ``DARTSingleStageDetector`` / ``DARTTwoStageDetector`` pass) and without
(what mmdet's plain detectors do). A token counts towards the padding by the fraction of its
area that lies there. A fixed grid spends the padding's area share of its tokens there.
``--checkpoint`` is needed only for scorers with learned weights (the gradient-energy scorer
of the demo configs has none).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)


def padding_share(layout, valid_hw: Tensor) -> Tensor:
    """(B, N) fraction of every token's area outside its image's valid (h, w) box.

    Args:
        layout: the batch's :class:`~dart_dense.models.tokenizers.TokenLayout`.
        valid_hw: (B, 2) valid height and width of each image (top-left aligned).
    """
    boxes, exists = layout.token_boxes()  # (B, N, K, 4), (B, N, K)
    x1, y1, x2, y2 = boxes.unbind(-1)
    h, w = valid_hw[:, 0, None, None], valid_hw[:, 1, None, None]
    inside = ((torch.minimum(x2, w) - x1).clamp_min(0) *
              (torch.minimum(y2, h) - y1).clamp_min(0) * exists).sum(-1)
    areas = layout.token_areas()
    return 1 - inside / areas


def measure(config: str, checkpoint: Optional[str], batch_size: int, split: str) -> dict:
    """Per-image averages over the split: padded area share, tokens, tokens in the padding."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner, load_checkpoint

    from dart_dense.models.detectors import valid_sizes
    from dart_dense.utils.checkpoint import mmengine_checkpoint_globals

    cfg = Config.fromfile(config)
    loader_cfg = cfg[f'{split}_dataloader']
    loader_cfg.batch_size = batch_size
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        from mmdet.registry import MODELS
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model).eval()
        if checkpoint:
            with mmengine_checkpoint_globals():
                load_checkpoint(model, checkpoint, map_location='cpu')
        loader = Runner.build_dataloader(loader_cfg)
        totals = dict(images=0, tokens=0.0, padded_area=0.0, aware=0.0, plain=0.0)
        with torch.no_grad():
            for batch in loader:
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
    result = measure(args.config, args.checkpoint, args.batch_size, args.split)
    print(f"{result['images']} {args.split} images in padded batches of {args.batch_size}: "
          f"{result['tokens']:.1f} tokens per image, padding {100 * result['padded_area']:.1f} % "
          f"of the batch area")
    print(f"tokens on the padding per image: padding-aware {result['aware']:.2f}, "
          f"plain {result['plain']:.2f}, fixed grid {result['grid']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == '__main__':
    main()
