# DART-Small video backbone (DeiT-S blocks, joint space-time attention over one budget of 784
# tokens per 8-frame clip, split across the frames by importance) + mmaction2's I3DHead, for
# Recognizer3D. Inherit it with
# `_base_ = ['../_base_/models/dart_video.py', 'mmaction::_base_/default_runtime.py']`.
_base_ = ['./dart_vit-s16.py']
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.datasets.video_transforms'],
    allow_failed_imports=False)

embed_dims = _base_.embed_dims
model = dict(
    type='Recognizer3D',
    backbone=dict(
        _base_.dart_s16,
        type='DARTVideoViT',
        num_frames=8,
        img_size=224,
        # the *average* per frame: the clip budget is num_frames x 98 = 784 tokens, half the
        # fixed grid's 1568. A frame holds at most its grid's 196 tokens, so the budget must
        # stay below that for the split to move tokens between frames. The scorer sees all
        # frames of the batch in one pass.
        tokenizer=dict(_base_.dart_s16.tokenizer, num_tokens=98),
        budget_split='importance',
        motion_weight=0.5,
        # (B, C, T, H/16, W/16) maps rendered from the tokens: what I3DHead pools
        out_type='dense',
        out_strides=16),
    cls_head=dict(
        type='I3DHead',
        num_classes=400,
        in_channels=embed_dims,
        spatial_type='avg',
        dropout_ratio=0.5,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))
