# The CPU demo's fixed-grid baseline: upernet_dart_demo.py with the 16x16 patch grid
# (256 tokens on the 256x256 demo images) instead of DART's 256 adaptive regions; model, data
# and schedule are the same.
_base_ = ['./upernet_dart_demo.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
