# Fixed-grid twin of segformer-token_dart-s16-n512_8xb2-160k_ade20k-512x512.py: DeiT-S/16 on the
# 16x16 patch grid (1024 tokens at 512x512) with the same token-space head (the grid's layout
# renders its logits) and schedule; only the tokenizer differs (and the ImageNet checkpoint).
_base_ = ['./segformer-token_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        tokenizer=dict(_delete_=True, type='GridTokenizer'),
        init_cfg=dict(checkpoint='pretrain/deit-s16.pth')))
