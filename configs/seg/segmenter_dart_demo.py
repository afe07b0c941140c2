# The CPU demo with the token-space head: upernet_dart_demo.py (same data, 6-block 128-wide DART
# ViT over 256 region tokens, gradient-energy scorer, AdamW 2e-3, warm-up + poly, 600
# iterations of 4 images) with TokenMaskTransformerHead on the last block's tokens instead of
# TokenPyramid + UperNet + the FCN auxiliary head. Run it as the main job does:
# `DEMO_CONFIG=configs/seg/segmenter_dart_demo.py bash tools/run_demo.sh`.
_base_ = ['./upernet_dart_demo.py']
# the demo's imports plus dart_dense.models.decode_heads (TokenMaskTransformerHead)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook',
             'dart_dense.datasets.transforms'],
    allow_failed_imports=False)
model = dict(
    backbone=dict(out_indices=(5, ), out_type='tokens', out_strides=16),  # strides unused
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='TokenMaskTransformerHead',
        in_channels=128,  # the demo backbone's embed_dims
        channels=128,
        num_layers=2,
        num_heads=4,
        embed_dims=128,
        drop_path_rate=0.0,  # as the demo backbone (trained from scratch, 600 steps)
        dropout_ratio=0.0,
        num_classes=10,
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None)
