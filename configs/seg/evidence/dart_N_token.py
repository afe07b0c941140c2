# Evidence study, dart_N_token: dart_N with the token-space head (Segmenter's mask transformer
# on the last block's 100 tokens, logits rendered at stride 4) instead of SegformerHead on the
# rendered maps: the head, not the tokenizer, differs (same loss).
_base_ = ['./dart_N.py']
embed_dims = _base_.embed_dims
model = dict(
    # out_strides: DARTViT's default (unused: tokens, not maps, are returned)
    backbone=dict(out_indices=(3, ), out_type='tokens', out_strides=16),
    decode_head=dict(
        _delete_=True, type='TokenMaskTransformerHead', in_channels=embed_dims,
        channels=embed_dims, num_layers=2, num_heads=3, embed_dims=embed_dims,
        drop_path_rate=0.0, dropout_ratio=0.0, num_classes=_base_.num_classes,
        render_stride=4, loss_decode=_base_.loss_decode))
