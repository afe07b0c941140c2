# DART-S/16, the one definition the DART model bases inherit: DeiT-S blocks (384 channels, 12
# blocks, 6 heads, 16x16 patches) over content-adaptive region tokens, scored by the official
# DART-S scorer (MobileNetV3-Large; its trunk comes from the pretrained DART checkpoint). It
# scores a half-resolution copy: scoring is coarse, the trunk is costly. A model base takes it
# with `_base_ = [..., './dart_vit-s16.py']` and adds its task's keys (nominal size, token
# budget, outputs) by copying:
#   backbone=dict(_base_.dart_s16, img_size=..., out_indices=...,
#                 tokenizer=dict(_base_.dart_s16.tokenizer, num_tokens=...))
# (a variable, not a `model` key: the detection bases also inherit mmdet's model bases, and
# mmengine forbids the same key in two bases).
embed_dims = 384
dart_s16 = dict(
    type='DARTViT',
    arch='small',
    patch_size=16,
    tokenizer=dict(
        type='DARTTokenizer',
        scorer=dict(type='MobileNetV3Scorer', arch='large', input_scale=0.5)),
    drop_path_rate=0.1)
