# The Kinetics recipe of dart-s_8x8x1_kinetics400-rgb.py, CPU-sized, on the generated demo clips
# (Kinetics video-list layout):
#   python tools/dataset_converters/generate_demo_data.py video --out data/video_demo
#   python tools/train.py configs/video/dart-mini_8x2x1_video-demo.py
# 8 frames x interval 2 x 1 clip of the 16-frame clips, 64x64 crops, tubelets of 2 frames with
# 8x8 patches, one budget of 4 tubelets x 32 = 128 tokens per clip (half the fixed grid's 256),
# a 4-block 96-wide ViT trained from scratch.
_base_ = ['./dart-s_8x8x1_kinetics400-rgb.py']

num_classes = 6  # len(dart_dense.datasets.VIDEO_DEMO_CLASSES)
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=96, depth=4, num_heads=3),
        img_size=64,
        patch_size=8,
        # a token embeds its region in 2 consecutive sampled frames: motion is visible inside
        # one token, which a transformer trained from scratch on a CPU needs (docs/video.md)
        tubelet_size=2,
        tokenizer=dict(
            num_tokens=32,
            # a small trainable scorer: no pretrained weights needed
            scorer=dict(_delete_=True, type='ConvScorer', channels=(16, 32, 32))),
        drop_path_rate=0.0,
        # from scratch at this size the ViT default (truncated normal, std 0.02) leaves the
        # blocks near identity for too long; PyTorch's default fan-in init of the linears
        # learns within the demo's schedule (measured, docs/video.md)
        init_cfg=dict(type='Kaiming', layer='Linear', a=5 ** 0.5, mode='fan_in',
                      nonlinearity='leaky_relu', distribution='uniform')),
    cls_head=dict(num_classes=num_classes, in_channels=96, dropout_ratio=0.2))

data_root = 'data/video_demo'
# No Flip: the classes are directions of motion, a horizontal flip turns moving_left into
# moving_right.
train_pipeline = [
    dict(type='SafeDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='RandomResizedCrop', area_range=(0.5, 1.0)),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='SafeDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='CenterCrop', crop_size=64),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='train_list.txt',
        data_prefix=dict(video='videos_train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='val_list.txt',
        data_prefix=dict(video='videos_val'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader

# 15 epochs of the 960 generated clips (a few minutes on CPU): 1 warm-up epoch, then cosine
train_cfg = dict(max_epochs=15, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=14, eta_min=1e-5, by_epoch=True, begin=1, end=15,
         convert_to_iter_based=True)
]
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=5, max_keep_ckpts=1))
