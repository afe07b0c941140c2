"""Draw DART's token regions (and importance map) next to the predicted segmentation.

    python tools/visualize_tokens.py CONFIG CHECKPOINT IMAGE [IMAGE ...] --out-dir DIR
                                     [--show-scores] [--scale S] [--device cpu]
                                     [--cfg-options KEY=VALUE ...]

Builds the model with mmseg's ``init_model``, segments each image with ``inference_model`` and
records the token layout (and scores) of that forward with a ``TokenRecorder``.
Writes ``DIR/<image stem>_tokens.png``: [token regions | importance (--show-scores) |
prediction]. A token that crosses the end of a row band is drawn as two rectangles in one
colour. Try another budget on the same weights with
``--cfg-options model.backbone.tokenizer.num_tokens=N``.
"""
from __future__ import annotations

import argparse
import os.path as osp
from pathlib import Path
from typing import Optional

import dart_dense  # noqa: F401  (compatibility shims; must precede torchvision imports)
import mmcv
from dart_dense.utils.checkpoint import mmengine_checkpoint_globals
from dart_dense.utils.token_recorder import TokenRecorder
from dart_dense.visualization import seg_token_figure
from mmengine.config import Config, DictAction
from mmseg.apis import inference_model, init_model
from mmseg.visualization import SegLocalVisualizer


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """Parses the command line (``argv``, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='mmseg config with a DARTViT backbone')
    parser.add_argument('checkpoint', help='trained checkpoint (.pth)')
    parser.add_argument('images', nargs='+', metavar='IMAGE', help='image files')
    parser.add_argument('--out-dir', required=True, help='directory for the pictures')
    parser.add_argument('--show-scores', action='store_true',
                        help='add the importance map panel')
    parser.add_argument('--scale', type=float, default=2.0,
                        help='enlarge the token panels by this factor (default 2)')
    parser.add_argument('--device', default='cpu', help="torch device, e.g. 'cpu', 'cuda:0'")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings (KEY=VALUE, dotted keys)')
    args = parser.parse_args(argv)
    for path in (args.config, args.checkpoint, *args.images):
        if not osp.isfile(path):
            parser.error(f'file not found: {path!r}')
    if args.scale <= 0:
        parser.error(f'--scale must be > 0, got {args.scale}')
    return args


def visualize(config: str | Config, checkpoint: str, images: list[str], out_dir: str,
              show_scores: bool = False, scale: float = 2.0, device: str = 'cpu',
              cfg_options: Optional[dict] = None) -> list[Path]:
    """Segments ``images`` and writes one token picture per image; returns their paths.

    Raises:
        ValueError: the backbone has no tokenizer to record (not a DART backbone).
    """
    with mmengine_checkpoint_globals():  # our checkpoints hold mmengine's message-hub types
        model = init_model(config, checkpoint, device=device, cfg_options=cfg_options)
    recorder = TokenRecorder(model)  # raises for a backbone without a tokenizer
    # no storage backends: add_datasample only draws
    visualizer = SegLocalVisualizer(name='visualize_tokens')
    visualizer.set_dataset_meta(classes=model.dataset_meta['classes'],
                                palette=model.dataset_meta['palette'])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in images:
        with recorder:
            result = inference_model(model, path)
        record = recorder.last
        image = mmcv.imread(path, channel_order='rgb')
        picture = seg_token_figure(visualizer, image, result, record.layout, 0,
                                   record.scores if show_scores else None, draw_gt=False,
                                   scale=scale)
        target = out / f'{Path(path).stem}_tokens.png'
        mmcv.imwrite(mmcv.rgb2bgr(picture), str(target))
        written.append(target)
    return written


def main(argv: Optional[list[str]] = None) -> None:
    """Command-line entry point."""
    args = parse_args(argv)
    written = visualize(args.config, args.checkpoint, args.images, args.out_dir,
                        args.show_scores, args.scale, args.device, args.cfg_options)
    print(f'{len(written)} token pictures written to {args.out_dir}')


if __name__ == '__main__':
    main()
