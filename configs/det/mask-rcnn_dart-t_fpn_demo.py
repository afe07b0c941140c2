# CPU demo: Mask R-CNN with a DART-Tiny backbone trained from scratch on the generated COCO-layout
# demo data (tools/dataset_converters/generate_demo_data.py coco --out data/coco_demo), images of
# 160x240 / 240x160 / 200x200 resized to fit 256x256 and padded per batch. Same detector, neck
# and head types as the COCO configs, narrower heads, a short iteration-based schedule.
_base_ = ['./mask-rcnn_dart-t_fpn_1x_coco.py']

data_root = 'data/coco_demo/'
# = dart_dense.datasets.COCO_DEMO_CLASSES (config files cannot import it; a test checks)
metainfo = dict(classes=('airplane', 'sports ball', 'kite', 'pizza', 'donut', 'book'))
num_classes = 6
channels = 64  # FPN and head width (256 in the COCO configs)

model = dict(
    backbone=dict(
        img_size=256,
        # 8 px patches: the demo objects go down to a few pixels
        patch_size=8,
        tokenizer=dict(
            # parameter-free scorer: meaningful regions without pretrained weights, and the
            # mmcv roi_align fast path (no gradient has to reach the geometry)
            scorer=dict(_delete_=True, type='GradientEnergyScorer', stride=8)),
        drop_path_rate=0.0,
        init_cfg=None),
    neck=dict(out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, fc_out_channels=256, num_classes=num_classes),
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(num_convs=2, in_channels=channels, conv_out_channels=channels,
                       num_classes=num_classes)),
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))))

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    # keep the demo's empty training image: training must cope with it
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=train_pipeline,
                 filter_cfg=dict(filter_empty_gt=False, min_size=0)))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

max_iters = 100
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
# from scratch, batch 2: a larger lr than the fine-tuning recipe, short warm-up, no layer-wise
# lr decay (a fine-tuning recipe: it would starve the untrained early blocks)
optim_wrapper = dict(optimizer=dict(lr=2e-4), constructor='DefaultOptimWrapperConstructor')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1),
]
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters),
    # small images: enlarge the token panels of the --show-dir pictures
    visualization=dict(scale=2.0))
log_processor = dict(by_epoch=False, window_size=10)
