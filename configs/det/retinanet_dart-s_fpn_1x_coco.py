# RetinaNet with a DART-Small backbone on COCO (boxes only), 1x schedule, the ViT recipe.
_base_ = [
    '../_base_/models/retinanet_dart_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './_base_/schedule_adamw_1x.py',
    './_base_/default_runtime.py',
]
model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/dart-s.pth')))

