# DART-Small (DeiT-S blocks over 512 content-adaptive region tokens at 512x512) + a token-space
# Segmenter mask transformer, for mmseg's EncoderDecoder: upernet_dart.py's backbone (tokenizer,
# scorer, data preprocessor) returning the last block's N tokens and the layout
# (out_type='tokens'); the head decodes them with one embedding per class (mmseg's
# SegmenterMaskTransformerHead layers) and renders only its class logits at stride 4. No neck
# and no auxiliary head, as mmseg's Segmenter. Inherit it with
# `_base_ = ['../_base_/models/segmenter_dart.py', 'mmseg::_base_/datasets/ade20k.py', ...]`.
_base_ = ['./upernet_dart.py']
# dart_dense.models.decode_heads registers the head (and imports mmseg; dart_dense.models
# alone stays task-neutral)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads'], allow_failed_imports=False)

embed_dims = 384
model = dict(
    # tokens + layout of the last block instead of rendered maps (out_strides is then unused)
    backbone=dict(out_indices=(11, ), out_type='tokens', out_strides=16),
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='TokenMaskTransformerHead',
        in_channels=embed_dims,
        channels=embed_dims,
        num_layers=2,
        num_heads=6,
        embed_dims=embed_dims,
        dropout_ratio=0.0,
        num_classes=150,
        # the logits' stride (as UperNet's output); mmseg's loss resizes them to the labels
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None,
    # whole images: every image gets its own token budget (mmseg's Segmenter slides 512 crops)
    test_cfg=dict(mode='whole'))
