"""Generate the demo datasets (ADE20K, COCO or Kinetics layout) used by demos, tests and studies.

    python tools/dataset_converters/generate_demo_data.py ade20k --out data/ade20k_demo \\
        [--num-train 200 --num-val 50 --size 256 256 --seed 0 --difficulty demo]
    python tools/dataset_converters/generate_demo_data.py coco --out data/coco_demo \\
        [--num-train 200 --num-val 50 --sizes 160x240 240x160 200x200 --num-empty-train 1]
    python tools/dataset_converters/generate_demo_data.py video --out data/video_demo \\
        [--num-train 120 --num-val 30 --size 96 128 --num-frames 16 --fps 10]

Generation is idempotent: rerunning with the same arguments leaves the data untouched; other
arguments regenerate it (see ``dart_dense.datasets``). Unset options take the generator's
defaults.
"""
from __future__ import annotations

import argparse
import time
from typing import Any, Optional

from dart_dense.datasets import generate_ade20k_demo, generate_coco_demo, generate_video_demo

GENERATORS = {'ade20k': generate_ade20k_demo, 'coco': generate_coco_demo,
              'video': generate_video_demo}


def _hw(text: str) -> tuple[int, int]:
    """Parses 'HxW' (e.g. 160x240) into (H, W)."""
    try:
        height, width = (int(v) for v in text.lower().split('x'))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f'expected HxW such as 160x240, got {text!r}') from error
    return height, width


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """Parses the command line (``argv``, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = parser.add_subparsers(dest='kind', required=True, metavar='{ade20k,coco,video}')
    for kind, help_text in (('ade20k', 'ADE20K layout, semantic segmentation'),
                            ('coco', 'COCO layout, detection and instance segmentation'),
                            ('video', 'Kinetics video-list layout, action recognition')):
        sub = kinds.add_parser(kind, help=help_text)
        sub.add_argument('--out', required=True, help='dataset root to write')
        sub.add_argument('--num-train', type=int, help='training images or clips')
        sub.add_argument('--num-val', type=int, help='validation images or clips')
        sub.add_argument('--seed', type=int, help='dataset seed (non-negative)')
        if kind in ('ade20k', 'coco'):
            sub.add_argument('--difficulty', choices=('demo', 'hard', 'det'),
                             help="'hard': more and smaller objects (evidence study); 'det': "
                                  'fewer, larger objects (detection demo)')
        if kind == 'video':
            sub.add_argument('--difficulty', choices=('demo', 'hard'),
                             help="'hard': textured backgrounds and more distractors")
        if kind in ('ade20k', 'video'):
            sub.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'),
                             help='image / frame size')
        if kind == 'coco':
            sub.add_argument('--sizes', type=_hw, nargs='+', metavar='HxW',
                             help='image sizes to cycle through, e.g. 160x240 240x160')
            sub.add_argument('--num-empty-train', type=int,
                             help='training images without objects (at the end)')
        if kind == 'video':
            sub.add_argument('--num-frames', type=int, help='frames per clip')
            sub.add_argument('--fps', type=float, help='frame rate of the clips')
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    """Command-line entry point."""
    args = parse_args(argv)
    options: dict[str, Any] = {k: v for k, v in vars(args).items()
                               if k not in ('kind', 'out') and v is not None}
    if 'size' in options:
        options['size'] = tuple(options['size'])
    start = time.perf_counter()
    root = GENERATORS[args.kind](args.out, **options)
    print(f'{args.kind} demo data ready in {root} ({time.perf_counter() - start:.1f} s)')


if __name__ == '__main__':
    main()
