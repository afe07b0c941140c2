# segmenter_dart-s16-n512_8xb1-160k_ade20k-512x512.py at half the token budget (256 regions).
_base_ = ['./segmenter_dart-s16-n512_8xb1-160k_ade20k-512x512.py']
model = dict(backbone=dict(tokenizer=dict(num_tokens=256)))
