"""Demo-data generators in the exact on-disk formats of ADE20K, COCO and Kinetics.

The datasets, transforms and metrics that read these files are mmseg's ``ADE20KDataset``,
mmdet's ``CocoDataset`` and mmaction2's ``VideoDataset``. All three writers draw with the one
rendering core :mod:`.scenes` (objects from a few pixels to a third of the image on
large plain or smooth regions: where adaptive tokens matter).

Importing this package imports numpy and cv2 only; submodules that need mmseg/mmdet (such as
``dart_dense.datasets.transforms``) are imported explicitly, by name.
"""
from .ade20k_demo import (ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS, ADE20K_DEMO_PALETTE,
                          generate_ade20k_demo)
from .coco_demo import (COCO_CATEGORIES, COCO_DEMO_CATEGORIES, COCO_DEMO_CLASSES,
                        generate_coco_demo)
from .scenes import SCENE_CLASSES, THING_SHAPES, Scene, render_scene
from .video_demo import VIDEO_DEMO_CLASSES, generate_video_demo, write_truncated_copy

__all__ = [
    'ADE20K_DEMO_CLASSES', 'ADE20K_DEMO_LABEL_IDS', 'ADE20K_DEMO_PALETTE', 'generate_ade20k_demo',
    'COCO_CATEGORIES', 'COCO_DEMO_CATEGORIES', 'COCO_DEMO_CLASSES', 'generate_coco_demo',
    'SCENE_CLASSES', 'THING_SHAPES', 'Scene', 'render_scene', 'VIDEO_DEMO_CLASSES',
    'generate_video_demo', 'write_truncated_copy'
]
