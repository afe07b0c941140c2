# The CPU demo with the token-space all-MLP head: segmenter_dart_demo.py (the UperNet demo's
# data, 6-block 128-wide DART ViT over 256 region tokens, gradient-energy scorer and schedule;
# tokens + layout of blocks 1, 3 and 5) decoded by TokenSegformerHead instead of the mask
# transformer: mmseg's SegformerHead (per-block 1x1 projection to 64 channels as the UperNet
# demo's pyramid, fusion with BN + ReLU, classifier) applied per token, logits rendered at
# stride 4. No auxiliary head. Run it as the main job does:
# `DEMO_CONFIG=configs/seg/segformer-token_dart_demo.py bash tools/run_demo.sh`.
_base_ = ['./segmenter_dart_demo.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='TokenSegformerHead',
        in_index=(0, 1, 2),
        in_channels=[128] * 3,
        channels=64,
        dropout_ratio=0.0,
        num_classes=10,
        # per-token batch norm (over the batch's B x N tokens); BN, not SyncBN: CPU runs
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        render_stride=4,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=None)
