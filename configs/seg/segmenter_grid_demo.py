# The token-head demo's fixed-grid baseline: segmenter_dart_demo.py with the 16x16 patch grid
# (256 tokens on the 256x256 demo images, the grid's layout renders the head's logits) instead
# of DART's 256 adaptive regions; model, data and schedule are the same.
_base_ = ['./segmenter_dart_demo.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
