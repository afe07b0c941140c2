# DART-Small (DeiT-S blocks over 512 content-adaptive region tokens at 512x512) + a token-rendered
# feature pyramid + UperNet, for mmseg's EncoderDecoder. Inherit it with
# `_base_ = ['../_base_/models/upernet_dart.py', 'mmseg::_base_/datasets/ade20k.py', ...]`.
_base_ = ['./dart_vit-s16.py']
custom_imports = dict(imports=['dart_dense.models'], allow_failed_imports=False)

# BN, not SyncBN: single-process and CPU runs must work; multi-GPU configs may switch to SyncBN.
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # batches padded to the 512x512 crops the backbone's nominal size and budget are set for
    size=(512, 512))
embed_dims = _base_.embed_dims
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _base_.dart_s16,
        img_size=(512, 512),
        tokenizer=dict(_base_.dart_s16.tokenizer, num_tokens=512),
        out_indices=(3, 5, 7, 11),
        # render each level from the tokens at its own stride (no upsampling of a /16 map)
        out_strides=(4, 8, 16, 32),
        with_cls_token=True),
    neck=dict(type='TokenPyramid', in_channels=[embed_dims] * 4, out_channels=embed_dims),
    decode_head=dict(
        type='UPerHead',
        in_channels=[embed_dims] * 4,
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=embed_dims,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
