# DART-S/16, 512 tokens + the token-space all-MLP head (TokenSegformerHead), 8 GPUs x 2 images,
# 160k iterations, ADE20K 512x512: upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py (same
# backbone, blocks 3/5/7/11, recipe and SyncBN heads) with SegFormer's decoder run per token on
# those four blocks' tokens (one shared layout) instead of TokenPyramid + UperNet + FCN: class
# logits rendered at stride 4, nothing else at stride 4. No auxiliary head (as SegFormer).
# The grid twin inherits this file and changes the tokenizer only.
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
# decode_heads: TokenSegformerHead (and imports mmseg)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook'],
    allow_failed_imports=False)
embed_dims = 384
model = dict(
    # tokens + layout of blocks 3, 5, 7, 11 instead of maps (out_strides is then unused)
    backbone=dict(out_type='tokens', out_strides=16),
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='TokenSegformerHead',
        in_channels=[embed_dims] * 4,
        in_index=[0, 1, 2, 3],
        channels=256,  # SegFormer-B0's decoder width
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None)
