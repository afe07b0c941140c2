# The plain-ViT detection recipe (ViTDet) on mmdet's 1x schedule (12 epochs, steps at 8 and 11,
# 500-iteration linear warm-up): AdamW, lr 1e-4 for 16 images per batch, weight decay 0.1,
# layer-wise lr decay 0.7 (dart_dense.engine.LayerDecayOptimWrapperConstructor: block i gets
# 0.7^(depth-i) of the rate, neck and heads all of it), no decay on norms, the positional table
# and the class token. Training from scratch (the demos) sets
# constructor='DefaultOptimWrapperConstructor' (no layer decay).
_base_ = ['mmdet::_base_/schedules/schedule_1x.py']

optim_wrapper = dict(
    type='OptimWrapper',
    # _delete_: the stock SGD's momentum is no AdamW argument
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        layer_decay_rate=0.7,
        norm_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.0), 'cls_token': dict(decay_mult=0.0)}))
