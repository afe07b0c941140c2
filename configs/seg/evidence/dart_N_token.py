# Evidence study, dart_N_token: dart_N with the token-space head (TokenSegformerHead: dart_N's
# own SegformerHead, same blocks 1/2/3, widths, BN and loss, applied per token to the blocks'
# tokens, logits rendered at stride 4) instead of SegformerHead on maps rendered at strides
# 4/8/16: the head's input (tokens, not maps), not the tokenizer, differs.
_base_ = ['./dart_N.py']
model = dict(
    # out_strides: DARTViT's default (unused: tokens, not maps, are returned)
    backbone=dict(out_type='tokens', out_strides=16),
    decode_head=dict(type='TokenSegformerHead', render_stride=4))
