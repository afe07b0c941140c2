# Fixed-grid twin of fcos_dart-mini_fpn_demo.py: the same ViT, head, data and schedule, with the
# plain 16x16-px patch grid instead of DART regions, at the same token count.
_base_ = ['./fcos_dart-mini_fpn_demo.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
