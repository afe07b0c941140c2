# Mask R-CNN with a DART-Small backbone on COCO, 1x schedule, the ViT recipe (AdamW).
# Pretrained ImageNet weights are read from a local file (see docs/det.md): convert the
# official DART-S checkpoint with tools/model_converters/convert_pretrained.py.
_base_ = [
    '../_base_/models/mask-rcnn_dart_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './_base_/schedule_adamw_1x.py',
    './_base_/default_runtime.py',
]
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/dart-s.pth')))

