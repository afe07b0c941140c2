# DART-S/16, 512 tokens, with mmseg's DeiT-S UperNet layout: all four levels rendered at stride
# 16 and no neck, so UperNet works at stride 16 (as mmseg's
# vit_deit-s16_upernet_8xb2-160k_ade20k-512x512.py). Cheaper than the stride 4/8/16/32
# pyramid of upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py (which this inherits otherwise)
# at coarser boundaries: pick the trade-off (docs/seg.md).
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(out_strides=16),
    neck=None,
    decode_head=dict(in_channels=[384] * 4),  # the backbone's width, as mmseg's DeiT-S
    auxiliary_head=dict(in_channels=384))
