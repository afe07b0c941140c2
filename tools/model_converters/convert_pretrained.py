"""Convert an official DART or timm/DeiT ImageNet checkpoint to DARTViT backbone keys.

    python tools/model_converters/convert_pretrained.py darvit-sm.pth pretrain/dart-s.pth
    python tools/model_converters/convert_pretrained.py deit_small_patch16_224.pth \
        pretrain/deit-s.pth --pos-grid 32 32

The output loads with ``init_cfg=dict(type='Pretrained', checkpoint='pretrain/dart-s.pth')``
(the raw file loads too: the layout is detected; converting once just makes it explicit).
"""
import argparse
from pathlib import Path

import torch

from dart_dense.utils.checkpoint import load_checkpoint_file
from dart_dense.utils.ckpt_convert import (convert_official_dart, convert_timm_vit,
                                           detect_layout, resize_pos_embed,
                                           unwrap_state_dict)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='official DART or timm/DeiT checkpoint (local file)')
    parser.add_argument('dst', help='where to write the converted state dict')
    parser.add_argument('--layout', choices=['auto', 'official_dart', 'timm'], default='auto')
    parser.add_argument('--pos-grid', type=int, nargs=2, metavar=('H', 'W'),
                        help='resize the positional table to this grid (e.g. 32 32 for 512 '
                             'px inputs with 16 px patches); default: keep it')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state = unwrap_state_dict(load_checkpoint_file(args.src))
    layout = detect_layout(state) if args.layout == 'auto' else args.layout
    if layout == 'dart_dense':
        raise SystemExit(f'{args.src} is already in dart_dense layout')
    state = convert_official_dart(state) if layout == 'official_dart' else \
        convert_timm_vit(state)
    if args.pos_grid and 'pos_embed' in state:
        extra = 1 if 'cls_token' in state else 0
        state['pos_embed'] = resize_pos_embed(state['pos_embed'], tuple(args.pos_grid),
                                              extra, extra)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.dst)
    print(f'{args.src} ({layout}) -> {args.dst}: {len(state)} tensors')


if __name__ == '__main__':
    main()
