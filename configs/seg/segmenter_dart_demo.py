# The CPU demo with the token-space head: upernet_dart_demo.py (same data, 6-block 128-wide DART
# ViT over 256 region tokens, gradient-energy scorer, AdamW 2e-3, warm-up + poly, 600
# iterations of 4 images) with TokenMaskTransformerHead on the tokens of blocks 1, 3 and 5
# (and a one-layer auxiliary token head on block 3) instead of TokenPyramid + UperNet + the
# FCN auxiliary head. Run it as the main job does:
# `DEMO_CONFIG=configs/seg/segmenter_dart_demo.py bash tools/run_demo.sh`.
_base_ = ['./upernet_dart_demo.py']
# the demo's imports plus dart_dense.models.decode_heads (TokenMaskTransformerHead)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook',
             'dart_dense.datasets.transforms'],
    allow_failed_imports=False)
model = dict(
    # the blocks the UperNet demo renders (1, 3, 5), returned as tokens + layout
    backbone=dict(out_indices=(1, 3, 5), out_type='tokens', out_strides=16),  # strides unused
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='TokenMaskTransformerHead',
        # the three blocks' tokens concatenated (as UperNet fuses levels; this small model,
        # trained from scratch, needs the early blocks' detail): 3 x the demo's 128 dims
        in_index=(0, 1, 2),
        in_channels=3 * 128,
        channels=128,
        num_layers=2,
        num_heads=4,
        embed_dims=128,
        drop_path_rate=0.0,  # as the demo backbone (trained from scratch, 600 steps)
        dropout_ratio=0.0,
        num_classes=10,
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    # deep supervision of the middle block (training only), as the UperNet demo's FCN head
    auxiliary_head=dict(
        _delete_=True,
        type='TokenMaskTransformerHead',
        in_index=1,
        in_channels=128,
        channels=128,
        num_layers=1,
        num_heads=2,
        embed_dims=64,
        drop_path_rate=0.0,
        dropout_ratio=0.0,
        num_classes=10,
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)))
