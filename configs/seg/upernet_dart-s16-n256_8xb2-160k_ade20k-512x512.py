# DART-S/16 with 256 tokens (the 512x512 crop holds at most 1024 16x16 patches); only the
# token budget differs from upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_dart-s16-n512_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(tokenizer=dict(num_tokens=256)))
