# Fixed-grid baseline of mask-rcnn_dart-t_fpn_1x_coco.py: the same ViT, heads and schedule,
# with DeiT's 16x16 patch grid (all ceil(H/16)*ceil(W/16) tokens) instead of DART regions.
_base_ = ['./mask-rcnn_dart-t_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        tokenizer=dict(_delete_=True, type='GridTokenizer'),
        init_cfg=dict(checkpoint='pretrain/deit-t.pth')))
