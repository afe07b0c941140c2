# DART-Ti/16 (DeiT-Ti blocks, MobileNetV3-Small scorer as the official DART-Ti), 512 tokens,
# UperNet, 8 GPUs x 2 images, 160k iterations, ADE20K 512x512.
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
embed_dims = 192
model = dict(
    backbone=dict(
        arch='tiny',
        tokenizer=dict(scorer=dict(arch='small')),
        init_cfg=dict(checkpoint='pretrain/dart-t16.pth')),
    neck=dict(in_channels=[embed_dims] * 4, out_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4),
    auxiliary_head=dict(in_channels=embed_dims))
