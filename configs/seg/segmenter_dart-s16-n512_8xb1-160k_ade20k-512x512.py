# DART-S/16 with 512 region tokens + the token-space mask transformer head
# (TokenMaskTransformerHead), 8 GPUs x 1 image, 160k iterations, ADE20K 512x512: the recipe of
# mmseg's segmenter_vit-s_mask_8xb1-160k_ade20k-512x512.py (SGD, lr 1e-3, no weight decay,
# poly decay) with DART's tokenizer and a head that renders its class logits through the
# layout. LayerNorm only: runs in a single process as well. Fine-tuned from the official
# DART-S ImageNet checkpoint (docs/seg.md says how to convert it to pretrain/dart-s16.pth).
# The n256 and grid variants inherit this file and change one thing each.
_base_ = [
    '../_base_/models/segmenter_dart.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
# decode_heads: TokenMaskTransformerHead; the hooks module: TokenVisualizationHook
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.models.decode_heads', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook'],
    allow_failed_imports=False)

# 512x512 crops (mmseg's ADE20K pipeline; the model base pads batches to them)
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/dart-s16.pth')))

# mmseg's Segmenter schedule: the stock 160k SGD (momentum 0.9, poly) at lr 1e-3, no decay
optimizer = dict(lr=0.001, weight_decay=0.0)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
train_dataloader = dict(batch_size=1)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

# mmseg's SegVisualizationHook plus the token partition (tools/test.py --show-dir DIR)
default_hooks = dict(visualization=dict(type='TokenVisualizationHook'))
