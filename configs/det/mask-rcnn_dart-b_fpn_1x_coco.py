# Mask R-CNN with a DART-Base backbone (DeiT-B blocks, MobileNetV3-Large scorer).
_base_ = ['./mask-rcnn_dart-s_fpn_1x_coco.py']
model = dict(
    backbone=dict(arch='base', init_cfg=dict(checkpoint='pretrain/dart-b.pth')),
    neck=dict(in_channels=[768, 768, 768, 768]))
