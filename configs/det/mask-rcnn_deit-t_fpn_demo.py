# Fixed-grid baseline of mask-rcnn_dart-t_fpn_demo.py: the same ViT-Tiny, heads, data and
# schedule, with the plain 8x8 patch grid (all tokens) instead of DART regions.
_base_ = ['./mask-rcnn_dart-t_fpn_demo.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
