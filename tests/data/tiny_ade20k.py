"""Generates a tiny, deterministic dataset in the ADE20K on-disk layout (tests and demo).

    root/images/{training,validation}/*.jpg       RGB images
    root/annotations/{training,validation}/*.png  uint8 labels, 0 = "other" (ignored with
                                                  reduce_zero_label=True), 1..K = classes

Each image is a noisy background with a few axis-aligned rectangles; every class has its own
colour, so a tiny model can learn something in a few iterations. Usage as a script:

    python tests/data/tiny_ade20k.py OUT_DIR [--train N] [--val N] [--size S]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

# Mean colour of "other" and of classes 1..3 (ADE20K's wall, building, sky).
CLASS_COLOURS = np.array([[90, 90, 90], [200, 60, 60], [60, 200, 60], [60, 60, 200]], np.float32)


def _make_sample(rng: np.random.Generator, size: int, num_classes: int,
                 num_rects: int) -> tuple[np.ndarray, np.ndarray]:
    """One (image (S, S, 3) uint8, label (S, S) uint8) pair."""
    label = np.zeros((size, size), np.uint8)
    for _ in range(num_rects):
        cls = int(rng.integers(1, num_classes + 1))
        h, w = rng.integers(size // 6, size // 2, size=2)
        y, x = rng.integers(0, size - h), rng.integers(0, size - w)
        label[y:y + h, x:x + w] = cls
    colours = CLASS_COLOURS[np.minimum(label, len(CLASS_COLOURS) - 1)]
    image = colours + rng.normal(0.0, 12.0, size=colours.shape)
    return np.clip(image, 0, 255).astype(np.uint8), label


def make_tiny_ade20k(root: str | Path, num_train: int = 8, num_val: int = 4, size: int = 64,
                     num_classes: int = 3, num_rects: int = 4, seed: int = 0) -> Path:
    """Writes the dataset under ``root`` (created if needed; existing files are overwritten).

    Args:
        root: dataset root directory.
        num_train: images in ``training``.
        num_val: images in ``validation``.
        size: image side in pixels (images are square).
        num_classes: foreground classes, labelled 1..num_classes (at most 3).
        num_rects: rectangles per image.
        seed: seed of the generator; the same arguments give identical files.

    Returns:
        Path: ``root``.

    Raises:
        ValueError: an argument is out of range (named in the message).
    """
    if not 1 <= num_classes <= len(CLASS_COLOURS) - 1:
        raise ValueError(f'num_classes must be in [1, {len(CLASS_COLOURS) - 1}], got {num_classes}')
    if size < 8:
        raise ValueError(f'size must be at least 8, got {size}')
    if num_train < 1 or num_val < 1:
        raise ValueError(f'num_train and num_val must be >= 1, got {num_train}, {num_val}')
    root = Path(root)
    rng = np.random.default_rng(seed)
    # File names as in ADE20K: ADE_train_00000001.jpg, ADE_val_00000001.jpg.
    for split, prefix, count in (('training', 'train', num_train),
                                 ('validation', 'val', num_val)):
        img_dir = root / 'images' / split
        ann_dir = root / 'annotations' / split
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, label = _make_sample(rng, size, num_classes, num_rects)
            name = f'ADE_{prefix}_{i + 1:08d}'
            Image.fromarray(image).save(img_dir / f'{name}.jpg', quality=95)
            Image.fromarray(label).save(ann_dir / f'{name}.png')
    return root


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir', help='dataset root to write')
    parser.add_argument('--train', type=int, default=8, help='training images')
    parser.add_argument('--val', type=int, default=4, help='validation images')
    parser.add_argument('--size', type=int, default=64, help='image side in pixels')
    args = parser.parse_args()
    root = make_tiny_ade20k(args.out_dir, args.train, args.val, args.size)
    print(f'tiny ADE20K-layout dataset written to {root}')


if __name__ == '__main__':
    main()
