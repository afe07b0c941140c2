# Fixed-grid baseline of retinanet_dart-s_fpn_1x_coco.py (same ViT, head and schedule).
_base_ = ['./retinanet_dart-s_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        tokenizer=dict(_delete_=True, type='GridTokenizer'),
        init_cfg=dict(checkpoint='pretrain/deit-s.pth')))
