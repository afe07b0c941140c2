# DART-Small (DeiT-S blocks over 512 content-adaptive region tokens) + UperNet on ADE20K
# 512x512, the standard 160k schedule. The entry point: `python tools/train.py
# configs/seg/upernet_dart.py`. Fine-tuned from the official DART-S ImageNet checkpoint
# (docs/seg.md says how to convert it to pretrain/dart-s16.pth). Single process, plain BN; the
# 8xb2 variants switch the heads to SyncBN for multi-GPU runs.
_base_ = [
    '../_base_/models/upernet_dart.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
# dart_dense.engine: the layer-decay optimizer constructor; its hooks module registers
# TokenVisualizationHook (token regions in --show-dir pictures)
custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook'],
    allow_failed_imports=False)

# 512x512 crops (mmseg's ADE20K pipeline; the model base pads batches to them)
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='pretrain/dart-s16.pth')),
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))

# ViT fine-tuning as mmseg's MAE UperNet config: AdamW, lr 1e-4, weight decay 0.05, layer-wise
# lr decay 0.65 (block i gets 0.65^(12-i) of the rate, the tokenizer and positional table
# 0.65^13, neck and heads all of it; dart_dense.engine.LayerDecayOptimWrapperConstructor); no
# weight decay on the positional table, the class token and the norms. _delete_: the stock
# schedule's SGD keys must not leak in.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.65,
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.),
        }))
# linear warm-up, then poly decay to 0 (as mmseg's ViT configs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False),
]

# 2 images per GPU (8 GPUs x 2 = the 16 of mmseg's ADE20K schedules)
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

# mmseg's SegVisualizationHook plus the token partition and importance map; off unless
# `tools/test.py --show-dir DIR` (or draw=True) switches it on.
default_hooks = dict(visualization=dict(type='TokenVisualizationHook'))
