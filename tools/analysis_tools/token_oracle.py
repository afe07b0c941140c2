"""How well can a token-space head segment at best? The per-token oracle of a tokenizer.

    python tools/analysis_tools/token_oracle.py [--data-root data/ade20k_demo]
        [--tokenizers dart@256 grid@16 dart@128] [--stride 4] [--limit N] [--json OUT]

A token-space head (``TokenMaskTransformerHead``) predicts one class distribution per token
and renders it through the layout. Its ceiling is set by the regions alone: this tool lets
every token predict the ground-truth class fractions of its own region (the layout's
``rebin`` of the one-hot labels: area-weighted means over exactly the token's pixels), renders
them at ``--stride`` with ``layout.to_dense`` and upsamples bilinearly to the label size as
mmseg's heads are evaluated, then scores mIoU (ignored pixels skipped) on the validation split
of an ADE20K-layout demo dataset (``generate_demo_data.py ade20k``, the 10 demo classes).

Tokenizers: ``dart@N`` (DART, N tokens, the demo's parameter-free gradient-energy scorer, so
no training is involved) and ``grid@P`` (the fixed grid of P px patches). Nothing is trained.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from tools.analysis_tools.helpers import torch_threads, write_json  # noqa: E402

MEAN, STD = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])


def build_tokenizer(spec: str) -> Any:
    """``dart@N`` or ``grid@P`` → a tokenizer (16 px patches for DART, as the demo)."""
    from mmengine.registry import MODELS

    import dart_dense.models  # noqa: F401
    kind, _, value = spec.partition('@')
    if kind not in ('dart', 'grid') or not value.isdigit() or int(value) < 1:
        raise ValueError(f'tokenizer must be dart@N or grid@P (positive ints), got {spec!r}')
    if kind == 'dart':
        cfg = dict(type='DARTTokenizer', patch_size=16, num_tokens=int(value),
                   scorer=dict(type='GradientEnergyScorer', stride=4))
    else:
        cfg = dict(type='GridTokenizer', patch_size=int(value))
    return MODELS.build(dict(cfg, in_channels=3, embed_dims=8)).eval()


def load_sample(image_path: Path, label_path: Path, label_ids: list[int]
                ) -> tuple[torch.Tensor, np.ndarray]:
    """Normalized (1, 3, H, W) RGB image and (H, W) labels 0..K-1 (255: ignored)."""
    import cv2

    image = cv2.imread(str(image_path))
    raw = cv2.imread(str(label_path), cv2.IMREAD_GRAYSCALE)
    if image is None or raw is None:
        raise FileNotFoundError(f'cannot read {image_path} or {label_path}')
    labels = np.full(raw.shape, 255, dtype=np.int64)
    for k, i in enumerate(label_ids):
        labels[raw == i] = k
    x = (image[..., ::-1].astype(np.float32) - MEAN) / STD
    return torch.from_numpy(x).float().permute(2, 0, 1)[None], labels


def oracle_prediction(tokenizer: Any, image: torch.Tensor, labels: np.ndarray,
                      num_classes: int, stride: int) -> np.ndarray:
    """(H, W) argmax of the rendered per-token ground-truth class fractions."""
    onehot = torch.from_numpy(np.stack([labels == k for k in range(num_classes)]))
    with torch.no_grad():
        layout = tokenizer(image).layout
        fractions = layout.rebin(onehot.float()[None])  # (1, N, K)
        logits = layout.to_dense(fractions, stride)
        logits = F.interpolate(logits, size=labels.shape, mode='bilinear',
                               align_corners=False)
    return logits[0].argmax(0).numpy()


def oracle_miou(data_root: Path, spec: str, stride: int = 4, split: str = 'validation',
                limit: int | None = None) -> dict[str, Any]:
    """mIoU (%) and per-class IoU of the per-token oracle of one tokenizer on a split."""
    from dart_dense.datasets import ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS

    images = sorted((data_root / 'images' / split).glob('*.jpg'))[:limit]
    if not images:
        raise FileNotFoundError(f'no images under {data_root / "images" / split}')
    tokenizer, k = build_tokenizer(spec), len(ADE20K_DEMO_CLASSES)
    inter, union = np.zeros(k), np.zeros(k)
    for path in images:
        image, labels = load_sample(path, data_root / 'annotations' / split / f'{path.stem}.png',
                                    list(ADE20K_DEMO_LABEL_IDS))
        pred, valid = oracle_prediction(tokenizer, image, labels, k, stride), labels != 255
        for c in range(k):
            p, g = (pred == c) & valid, (labels == c) & valid
            inter[c] += (p & g).sum()
            union[c] += (p | g).sum()
    present = union > 0
    iou = np.where(present, inter / np.maximum(union, 1), np.nan) * 100
    return dict(tokenizer=spec, stride=stride, images=len(images),
                mIoU=float(np.nanmean(iou)),
                IoU={n: float(v) for n, v in zip(ADE20K_DEMO_CLASSES, iou)})


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='per-token oracle mIoU of tokenizers')
    parser.add_argument('--data-root', default='data/ade20k_demo')
    parser.add_argument('--tokenizers', nargs='+', default=['dart@256', 'grid@16', 'dart@128'])
    parser.add_argument('--stride', type=int, default=4, help='render stride of the logits')
    parser.add_argument('--split', default='validation')
    parser.add_argument('--limit', type=int, help='first N images only')
    parser.add_argument('--json', help='write the results here')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    if args.stride < 1:
        parser.error(f'--stride must be a positive int, got {args.stride}')
    for spec in args.tokenizers:
        try:
            build_tokenizer(spec)
        except ValueError as err:
            parser.error(str(err))
    return args


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    results = []
    with torch_threads(args.threads):
        for spec in args.tokenizers:
            result = oracle_miou(Path(args.data_root), spec, args.stride, args.split,
                                 args.limit)
            results.append(result)
            print(f'{spec}: oracle mIoU {result["mIoU"]:.2f} at stride {args.stride} '
                  f'({result["images"]} images)', flush=True)
    if args.json:
        write_json(args.json, dict(data_root=args.data_root, results=results))
    return results


if __name__ == '__main__':
    main()
