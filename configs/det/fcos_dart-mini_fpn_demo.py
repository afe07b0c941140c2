# The detection demo (tools/run_det_demo.sh): FCOS over a small DART ViT, trained from scratch
# on CPU in minutes on generated COCO-layout data (data/coco_det_demo, difficulty 'det': ~8
# objects per 256x256, 8 px to 0.4 of the side, about two thirds of them COCO-small).
# A 6-block, 128-wide ViT (the seg demo's size) over as many region tokens as the 16x16-px grid
# of the padded batch (token_ratio=1: fcos_deit-mini_fpn_demo.py is the fixed-grid twin at the
# same budget, differing in the tokenizer only), scored by the parameter-free gradient-energy
# scorer, token maps rendered at strides 8/16/32, mmdet's FPN (LN2d) and FCOSHead, inside the
# padding-aware DARTSingleStageDetector. Why FCOS: an anchor-free one-stage head that learns
# fast from scratch (no proposal stage to bootstrap), with centre sampling for small boxes.
_base_ = [
    '../_base_/models/retinanet_dart_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './_base_/schedule_adamw_1x.py',
    './_base_/default_runtime.py',
]

data_root = 'data/coco_det_demo/'
# = dart_dense.datasets.COCO_DEMO_CLASSES (config files cannot import it; a test checks)
metainfo = dict(classes=('airplane', 'sports ball', 'kite', 'pizza', 'donut', 'book'))
num_classes = 6
embed_dims = 128
channels = 64  # FPN and head width (256 in the COCO configs)
image_size = 256

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, depth=6, num_heads=4),
        img_size=image_size,
        patch_size=16,
        tokenizer=dict(
            # the fixed 16-px grid's count of the padded batch: the twin's budget
            token_ratio=1.0,
            # parameter-free scorer on a 4-px grid: nothing to pretrain or download
            scorer=dict(_delete_=True, type='GradientEnergyScorer', stride=4)),
        out_indices=(1, 3, 5),
        out_strides=(8, 16, 32),
        drop_path_rate=0.0,
        init_cfg=None),
    # P3-P5 only: the largest objects are ~100 px, P6/P7 of a 256-px image would be 4x4 / 2x2
    neck=dict(in_channels=[embed_dims] * 3, out_channels=channels, start_level=0,
              add_extra_convs=False, num_outs=3),
    bbox_head=dict(
        _delete_=True,
        type='FCOSHead',
        num_classes=num_classes,
        in_channels=channels,
        feat_channels=channels,
        stacked_convs=2,
        strides=(8, 16, 32),
        regress_ranges=((-1, 32), (32, 64), (64, 1e8)),
        norm_cfg=dict(type='GN', num_groups=16, requires_grad=True),
        # the improved-FCOS options (mmdet's fcos_..._gn-head-center-normbbox-centeronreg-giou)
        center_sampling=True,
        center_sample_radius=1.5,
        norm_on_bbox=True,
        centerness_on_reg=True,
        loss_cls=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                      loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=1.0),
        loss_centerness=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    # FCOS assigns its own targets: no anchor assigner
    train_cfg=None,
    test_cfg=dict(_delete_=True, nms_pre=1000, min_bbox_size=0, score_thr=0.05,
                  nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# Worker processes cost more than they save for 256-px JPEGs on 2 cores. Batches mix landscape
# and portrait images, so they are padded (the padding-aware detector keeps tokens off it).
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline,
                 filter_cfg=dict(filter_empty_gt=False, min_size=0)))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

max_iters = 800
warmup_iters = max_iters // 8
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
# from scratch, batch 4: a larger rate than the fine-tuning 1e-4, clipped gradients
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.05),
                     clip_grad=dict(max_norm=5.0, norm_type=2),
                     # no layer-wise lr decay: a fine-tuning recipe (schedule_adamw_1x.py)
                     constructor='DefaultOptimWrapperConstructor')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=warmup_iters,
         end=max_iters, T_max=max_iters - warmup_iters),
]
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    # small images: enlarge the token panels of the --show-dir pictures
    visualization=dict(scale=2.0))
log_processor = dict(by_epoch=False, window_size=20)
randomness = dict(seed=0)
