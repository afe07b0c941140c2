# DART-Small (DeiT-S blocks over 512 content-adaptive region tokens at 512x512) + a token-rendered
# feature pyramid + UperNet, for mmseg's EncoderDecoder. Inherit it with
# `_base_ = ['../_base_/models/upernet_dart.py', 'mmseg::_base_/datasets/ade20k.py', ...]`.
custom_imports = dict(imports=['dart_dense.models'], allow_failed_imports=False)

# BN, not SyncBN: single-process and CPU runs must work; multi-GPU configs may switch to SyncBN.
norm_cfg = dict(type='BN', requires_grad=True)
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
            # official DART scorer; its trunk comes from the pretrained DART checkpoint.
            # It scores a half-resolution copy: scoring is coarse, the trunk is costly.
            scorer=dict(type='MobileNetV3Scorer', arch='large', input_scale=0.5)),
        out_indices=(3, 5, 7, 11),
        # render each level from the tokens at its own stride (no upsampling of a /16 map)
        out_strides=(4, 8, 16, 32),
        drop_path_rate=0.1,
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
