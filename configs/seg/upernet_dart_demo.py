# The CPU demo (tools/run_demo.sh): upernet_dart.py pointed at the generated demo data
# (data/ade20k_demo: 200 + 50 images of 256x256 in ADE20K's layout, 10 ADE20K classes) with a
# model and schedule sized for 2 CPU cores: a 6-block, 128-wide DART ViT (random init, nothing
# to download) over 256 region tokens (the 16x16 grid's count: upernet_grid_demo.py differs in
# the tokenizer only) scored by the parameter-free gradient-energy scorer.
# Everything else (UperNet + FCN heads, AdamW, warm-up + poly, IoUMetric) is upernet_dart.py's.
_base_ = ['./upernet_dart.py']
# (after _base_: mmengine reads a config whose first statement is an import as a lazy one)
from dart_dense.datasets import ADE20K_DEMO_CLASSES, ADE20K_DEMO_PALETTE  # noqa: E402

custom_imports = dict(
    imports=['dart_dense.models', 'dart_dense.engine',
             'dart_dense.engine.hooks.token_visualization_hook', 'dart_dense.datasets.transforms'],
    allow_failed_imports=False)

data_root = 'data/ade20k_demo'
crop_size = (256, 256)
num_classes = len(ADE20K_DEMO_CLASSES)
# ADE20KDataset maps the on-disk ADE20K ids of these classes to 0..9 (and 0 = other to 255)
metainfo = dict(classes=ADE20K_DEMO_CLASSES, palette=ADE20K_DEMO_PALETTE)
embed_dims = 128
head_dims = 64

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, depth=6, num_heads=4),
        img_size=crop_size,
        tokenizer=dict(
            num_tokens=256,
            # _delete_: replace the MobileNetV3 scorer instead of merging its keys into this
            scorer=dict(_delete_=True, type='GradientEnergyScorer', stride=4)),
        out_indices=(1, 3, 5, 5),
        drop_path_rate=0.0,
        init_cfg=None),
    # the /4 level dominates the cost on CPU: narrow pyramid and heads
    neck=dict(in_channels=[embed_dims] * 4, out_channels=head_dims),
    decode_head=dict(
        in_channels=[head_dims] * 4, channels=head_dims, dropout_ratio=0.0,
        num_classes=num_classes),
    auxiliary_head=dict(
        in_channels=head_dims, channels=head_dims // 2, dropout_ratio=0.0,
        num_classes=num_classes))

# The stock ADE20K pipeline scales to 512 px; the demo images are 256 px. The named image
# loader reports which file could not be read (also for empty files).
train_pipeline = [
    dict(type='NamedLoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=crop_size, ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='NamedLoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
# Small batches, many steps: from scratch, the number of updates is what counts. Worker
# processes cost more than they save for 256 px JPEGs on 2 cores.
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 600
warmup_iters = max_iters // 10
# randomly initialized: a larger rate than the fine-tuning 1e-4, same warm-up + poly shape, and
# no layer-wise decay (a fine-tuning recipe: it would starve the untrained early blocks)
optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=0.01),
                     constructor='DefaultOptimWrapperConstructor')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=warmup_iters, end=max_iters,
         by_epoch=False),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    # with --show-dir: every batch of the small validation set, token panels enlarged 2x
    visualization=dict(type='TokenVisualizationHook', interval=1, scale=2.0))
randomness = dict(seed=0)
