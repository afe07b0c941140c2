# DART-B/16 (DeiT-B blocks, MobileNetV3-Large scorer), 512 tokens, UperNet, 8 GPUs x 2 images,
# 160k iterations, ADE20K 512x512.
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
embed_dims = 768
model = dict(
    backbone=dict(arch='base', init_cfg=dict(checkpoint='pretrain/dart-b16.pth')),
    neck=dict(in_channels=[embed_dims] * 4, out_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4),
    auxiliary_head=dict(in_channels=embed_dims))
