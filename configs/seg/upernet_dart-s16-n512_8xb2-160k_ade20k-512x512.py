# DART-S/16, 512 tokens, UperNet, 8 GPUs x 2 images, 160k iterations, ADE20K 512x512:
# upernet_dart.py with SyncBN in the heads (this config is for distributed multi-GPU runs;
# mmengine turns SyncBN back into BN when it runs in a single process).
# The other DART and grid variants inherit this file and change one thing each.
_base_ = ['./upernet_dart.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(decode_head=dict(norm_cfg=norm_cfg), auxiliary_head=dict(norm_cfg=norm_cfg))
