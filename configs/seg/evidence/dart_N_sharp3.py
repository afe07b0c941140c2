# Evidence study, dart_N_sharp3 (diagnostic): dart_N with the sharper importance
# sigmoid(3 z) + floor of the standardized scores z (the default is sigmoid(z) + floor, which
# gives small objects at most ~2x the background's token density).
_base_ = ['./dart_N.py']
model = dict(backbone=dict(tokenizer=dict(score_sharpness=3.0)))
