# DART-Small (DeiT-S blocks over content-adaptive region tokens, half the fixed grid's budget)
# + token maps rendered at strides 4/8/16/32 + mmdet's stock FPN (LN2d) + stock Mask R-CNN heads.
# The detector is mmdet's TwoStageDetector that also passes every image's unpadded size to the
# backbone, so no tokens are spent on the batch padding (dart_dense/models/detectors).
_base_ = ['mmdet::_base_/models/mask-rcnn_r50_fpn.py', './dart_vit-s16.py']
# dart_dense.models.detectors: the padding-aware mmdet detectors; dart_dense.engine: the
# layer-decay optimizer constructor (configs/det/_base_/schedule_adamw_1x.py) and, in its hooks
# module, the token visualization hook of configs/det/_base_/default_runtime.py
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.detectors', 'dart_dense.engine',
             'dart_dense.engine.hooks.det_token_visualization_hook'],
    allow_failed_imports=False)

model = dict(
    type='DARTTwoStageDetector',
    backbone=dict(
        _base_.dart_s16,
        _delete_=True,
        # nominal size: the positional table covers a 1344x800 (padded) input, 84x50 cells
        img_size=(800, 1344),
        # budget: half of the fixed grid of the (padded) batch, so it follows the image size
        tokenizer=dict(_base_.dart_s16.tokenizer, token_ratio=0.5),
        out_indices=(3, 5, 7, 11),
        # each level is rendered from the tokens at its own stride (exact area overlap)
        out_strides=(4, 8, 16, 32)),
    # the ViT levels are plain token maps: LN in the FPN convs as in ViTDet's pyramid
    neck=dict(in_channels=[_base_.embed_dims] * 4, norm_cfg=dict(type='LN2d')))
