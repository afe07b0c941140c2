# DART-Small + token maps rendered at strides 8/16/32 + mmdet's stock FPN (P3-P7, LN2d) +
# stock RetinaNet head, in a SingleStageDetector that passes the unpadded sizes to the backbone.
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py', './dart_vit-s16.py']
# dart_dense.models.detectors: the padding-aware mmdet detectors; dart_dense.engine: the
# layer-decay optimizer constructor (configs/det/_base_/schedule_adamw_1x.py) and, in its hooks
# module, the token visualization hook of configs/det/_base_/default_runtime.py
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.detectors', 'dart_dense.engine',
             'dart_dense.engine.hooks.det_token_visualization_hook'],
    allow_failed_imports=False)

model = dict(
    type='DARTSingleStageDetector',
    backbone=dict(
        _base_.dart_s16,
        _delete_=True,
        img_size=(800, 1344),
        # the scorer's frozen trunk needs the pretrained DART checkpoint of the leaf configs
        # (MobileNetV3Scorer warns at init_weights when none reaches it)
        tokenizer=dict(_base_.dart_s16.tokenizer, token_ratio=0.5),
        # RetinaNet starts at P3: no stride-4 level is rendered
        out_indices=(5, 7, 11),
        out_strides=(8, 16, 32)),
    neck=dict(in_channels=[_base_.embed_dims] * 3, start_level=0, norm_cfg=dict(type='LN2d')))
