# DART-Small (DeiT-S blocks over 512 content-adaptive region tokens at 512x512) + a token-space
# Segmenter mask transformer, for mmseg's EncoderDecoder: the head reads the last block's N
# tokens and the layout (DARTViT out_type='tokens'), decodes them with one embedding per class
# (mmseg's SegmenterMaskTransformerHead layers) and renders only its class logits at stride 4.
# No neck and no auxiliary head, as mmseg's Segmenter. Inherit it with
# `_base_ = ['../_base_/models/segmenter_dart.py', 'mmseg::_base_/datasets/ade20k.py', ...]`.
# dart_dense.models.decode_heads registers the head (and imports mmseg; dart_dense.models
# alone stays task-neutral)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads'], allow_failed_imports=False)

data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
embed_dims = 384
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='DARTViT',
        arch='small',
        img_size=512,
        patch_size=16,
        tokenizer=dict(
            type='DARTTokenizer',
            num_tokens=512,
            # official DART scorer on a half-resolution copy (as upernet_dart.py)
            scorer=dict(type='MobileNetV3Scorer', arch='large', input_scale=0.5)),
        out_indices=(11, ),
        # tokens + layout instead of rendered maps (out_strides is then unused)
        out_type='tokens',
        drop_path_rate=0.1,
        with_cls_token=True),
    decode_head=dict(
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
    train_cfg=dict(),
    # whole images: every image gets its own token budget (mmseg's Segmenter slides 512 crops)
    test_cfg=dict(mode='whole'))
