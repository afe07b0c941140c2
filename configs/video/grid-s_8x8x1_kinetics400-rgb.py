# Fixed-grid baseline of dart-s_8x8x1_kinetics400-rgb.py: the same backbone, head, data and
# schedule, with 16x16 patches (196 per frame, 1568 per clip) and no scorer. Initialize from a
# DeiT-S / timm ViT-S checkpoint (local file) via model.backbone.init_cfg.
_base_ = ['./dart-s_8x8x1_kinetics400-rgb.py']

model = dict(
    backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer'), budget_split='uniform'))
