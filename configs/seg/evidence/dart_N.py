# Evidence study, dart_N: DART, N = 100 tokens, each region resampled to 14x14; importance from
# the parameter-free gradient-energy scorer (squared Sobel energy in 4 px cells) on a 35x35 grid.
_base_ = ['./_base_/evidence_segformer.py']
model = dict(backbone=dict(tokenizer=dict(
    _delete_=True, type='DARTTokenizer', num_tokens=100, grid_stride=4,
    scorer=dict(type='GradientEnergyScorer', stride=4))))
