# Evidence study, grid_N: the fixed grid of 14 px patches, 10x10 = 100 tokens (the base).
_base_ = ['./_base_/evidence_segformer.py']
model = dict(backbone=dict(tokenizer=dict(type='GridTokenizer'), patch_size=14))
