# Fixed-grid baseline of dart-mini_8x2x1_video-demo.py: same model, data and schedule, 8x8 patches
# of 2-frame tubelets (64 per tubelet, 256 per clip), no scorer.
_base_ = ['./dart-mini_8x2x1_video-demo.py']

model = dict(
    backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer'), budget_split='uniform'))
