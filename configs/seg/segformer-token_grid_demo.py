# The all-MLP token-head demo's fixed-grid baseline: segformer-token_dart_demo.py with the 16x16
# patch grid (256 tokens on the 256x256 demo images) instead of DART's 256 adaptive regions.
_base_ = ['./segformer-token_dart_demo.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
