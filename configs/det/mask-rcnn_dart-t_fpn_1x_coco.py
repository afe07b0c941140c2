# Mask R-CNN with a DART-Tiny backbone (DeiT-Ti blocks, official MobileNetV3-Small scorer).
_base_ = ['./mask-rcnn_dart-s_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        arch='tiny',
        tokenizer=dict(scorer=dict(arch='small')),
        init_cfg=dict(checkpoint='pretrain/dart-t.pth')),
    neck=dict(in_channels=[192, 192, 192, 192]))
