# Fixed-grid baseline: DeiT-S/16 on the 16x16 patch grid (1024 tokens at 512x512) with the
# same heads and schedule as upernet_dart-s16-n512_8xb2-160k_ade20k-512x512;
# only the tokenizer differs (and the ImageNet checkpoint: DeiT-S instead of DART).
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        tokenizer=dict(_delete_=True, type='GridTokenizer'),
        init_cfg=dict(checkpoint='pretrain/deit-s16.pth')))
