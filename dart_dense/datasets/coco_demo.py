"""A demo dataset in COCO's on-disk layout, rendered by :mod:`.scenes`.

::

    root/annotations/instances_train2017.json
    root/annotations/instances_val2017.json
    root/train2017/000000000001.jpg      RGB scenes (JPEG, quality 95)
    root/val2017/000000000004.jpg

The JSON files follow the COCO instances format: ``images`` (id, file_name, height, width),
``annotations`` (id, image_id, category_id, bbox [x, y, w, h], area, iscrowd=0, segmentation as
polygons), ``categories`` (id, name, supercategory), plus ``info`` and ``licenses``. The
``categories`` are **all 80 of COCO 2017, with COCO's ids**, six of which are used, so the data
works both with the stock 80-class ``CocoDataset`` and with
``metainfo=dict(classes=COCO_DEMO_CLASSES)`` (labels 0..5).

Polygons trace the outer boundary of each visible part of an instance, through pixel corners,
so pycocotools rasterizes them back exactly; as in real COCO they cannot carry holes (a ring's
hole, a smaller object lying on a larger one, are inside the larger one's polygon). ``bbox`` and
``area`` are those of the polygons' mask, the quantities pycocotools and mmdet compute.

Images come in several sizes and aspect ratios (cycled), so detection batches need padding,
and the last ``num_empty_train`` training images have no objects at all (training and the
``filter_empty_gt`` path must cope with them). Scene things map to COCO categories as:
cross → airplane, disc → sports ball, star → kite, triangle → pizza, ring → donut,
rectangle → book.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import cv2
import numpy as np

from . import _generation
from .scenes import THING_SHAPES, Scene, check_size, get_style, render_scene

__all__ = ['COCO_CATEGORIES', 'COCO_DEMO_CLASSES', 'COCO_DEMO_CATEGORIES', 'SCENE_TO_COCO',
           'generate_coco_demo', 'mask_to_polygons']

# COCO 2017's 80 categories (id|name|supercategory), as in instances_*2017.json: the files list
# all of them, whether used or not, because mmdet's CocoDataset numbers labels by position among
# the categories the file holds (80 here, in id order, so the stock 80-class configs are right).
_COCO_TABLE = """
1|person|person 2|bicycle|vehicle 3|car|vehicle 4|motorcycle|vehicle 5|airplane|vehicle
6|bus|vehicle 7|train|vehicle 8|truck|vehicle 9|boat|vehicle 10|traffic light|outdoor
11|fire hydrant|outdoor 13|stop sign|outdoor 14|parking meter|outdoor 15|bench|outdoor
16|bird|animal 17|cat|animal 18|dog|animal 19|horse|animal 20|sheep|animal 21|cow|animal
22|elephant|animal 23|bear|animal 24|zebra|animal 25|giraffe|animal 27|backpack|accessory
28|umbrella|accessory 31|handbag|accessory 32|tie|accessory 33|suitcase|accessory
34|frisbee|sports 35|skis|sports 36|snowboard|sports 37|sports ball|sports 38|kite|sports
39|baseball bat|sports 40|baseball glove|sports 41|skateboard|sports 42|surfboard|sports
43|tennis racket|sports 44|bottle|kitchen 46|wine glass|kitchen 47|cup|kitchen 48|fork|kitchen
49|knife|kitchen 50|spoon|kitchen 51|bowl|kitchen 52|banana|food 53|apple|food
54|sandwich|food 55|orange|food 56|broccoli|food 57|carrot|food 58|hot dog|food 59|pizza|food
60|donut|food 61|cake|food 62|chair|furniture 63|couch|furniture 64|potted plant|furniture
65|bed|furniture 67|dining table|furniture 70|toilet|furniture 72|tv|electronic
73|laptop|electronic 74|mouse|electronic 75|remote|electronic 76|keyboard|electronic
77|cell phone|electronic 78|microwave|appliance 79|oven|appliance 80|toaster|appliance
81|sink|appliance 82|refrigerator|appliance 84|book|indoor 85|clock|indoor 86|vase|indoor
87|scissors|indoor 88|teddy bear|indoor 89|hair drier|indoor 90|toothbrush|indoor
"""
COCO_CATEGORIES: tuple[dict[str, Any], ...] = tuple(
    dict(id=int(i), name=name, supercategory=sup)
    for i, name, sup in re.findall(r'(\d+)\|([a-z ]+?)\|([a-z]+)', _COCO_TABLE))
SCENE_TO_COCO: dict[str, str] = {
    'cross': 'airplane', 'disc': 'sports ball', 'star': 'kite', 'triangle': 'pizza',
    'ring': 'donut', 'rectangle': 'book'}
# The categories the demo uses, in id order. With metainfo=dict(classes=COCO_DEMO_CLASSES),
# mmdet's labels 0..5 follow the file's (id) order, which this order matches.
COCO_DEMO_CATEGORIES: tuple[dict[str, Any], ...] = tuple(
    c for c in COCO_CATEGORIES if c['name'] in SCENE_TO_COCO.values())
COCO_DEMO_CLASSES: tuple[str, ...] = tuple(c['name'] for c in COCO_DEMO_CATEGORIES)
# thing shape index -> COCO category id
_NAME_TO_ID = {c['name']: c['id'] for c in COCO_CATEGORIES}
_CATEGORY_IDS = tuple(_NAME_TO_ID[SCENE_TO_COCO[shape]] for shape in THING_SHAPES)
DEFAULT_SIZES: tuple[tuple[int, int], ...] = ((160, 240), (240, 160), (200, 200))


def _annotations(scene: Scene, image_id: int, first_id: int) -> list[dict[str, Any]]:
    """COCO annotation dicts of a scene's instances (ids from ``first_id`` on)."""
    from pycocotools import mask as mask_utils  # only needed when writing COCO data

    height, width = scene.instance_map.shape
    annotations = []
    for n, (label, box) in enumerate(zip(scene.labels, scene.boxes.astype(int))):
        x0, y0, x1, y1 = box
        polygons = mask_to_polygons(scene.instance_map[y0:y1, x0:x1] == n + 1, offset=(x0, y0))
        if not polygons:  # a visible part too thin to outline: leave it unannotated
            continue
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
        annotations.append(dict(
            id=first_id + len(annotations), image_id=image_id,
            category_id=_CATEGORY_IDS[int(label)], segmentation=polygons,
            area=float(mask_utils.area(rle)), bbox=[float(v) for v in mask_utils.toBbox(rle)],
            iscrowd=0))
    return annotations


def generate_coco_demo(root: Union[str, Path], num_train: int = 200, num_val: int = 50,
                       seed: int = 0, sizes: Sequence[tuple[int, int]] = DEFAULT_SIZES,
                       difficulty: str = 'demo', num_empty_train: int = 1) -> Path:
    """Writes (or reuses) the COCO-layout demo dataset under ``root``.

    Idempotent like :func:`~.ade20k_demo.generate_ade20k_demo` (marker file
    ``root/.dart_dense_demo.json``). Image ``i`` of a split has size ``sizes[i % len(sizes)]``
    and depends only on (``seed``, split, ``i``). Image and annotation ids are unique across
    both splits (validation ids follow the training ids).

    Args:
        root: dataset root; created if needed.
        num_train: training images (>= 2 when ``num_empty_train`` is 1).
        num_val: validation images (>= 1).
        seed: non-negative dataset seed.
        sizes: image sizes (H, W) to cycle through; each side >= 32.
        difficulty: 'demo', 'hard' or 'det' (see :data:`~.scenes.DIFFICULTIES`).
        num_empty_train: training images, at the end of the list, without any object;
            fewer than ``num_train``.

    Returns:
        Path: ``root``.

    Raises:
        ValueError: a count out of range, a side below 32, empty ``sizes``, a negative seed or
            an unknown difficulty.
        FileExistsError: ``root`` holds COCO folders not written by this generator.
    """
    if len(sizes) == 0:
        raise ValueError('sizes must hold at least one (H, W)')
    sizes = [list(check_size(*hw, name='sizes')) for hw in sizes]
    num_train = _generation.check_count(num_train, 'num_train')
    num_empty_train = _generation.check_count(num_empty_train, 'num_empty_train', minimum=0)
    if num_empty_train >= num_train:
        raise ValueError(f'num_empty_train must be < num_train ({num_train}), '
                         f'got {num_empty_train}')
    params = dict(num_train=num_train, num_val=_generation.check_count(num_val, 'num_val'),
                  seed=_generation.check_seed(seed), sizes=sizes, difficulty=difficulty,
                  num_empty_train=num_empty_train)
    get_style(difficulty)  # validates before anything is touched
    root = Path(root)
    if _generation.is_current(root, 'coco', params):
        return root
    _generation.begin(root, 'coco', params,
                      outputs=('annotations/instances_train2017.json',
                               'annotations/instances_val2017.json', 'train2017', 'val2017'))
    (root / 'annotations').mkdir(exist_ok=True)
    image_id, annotation_id = 1, 1
    for split in ('train', 'val'):
        count = params[f'num_{split}']
        image_dir = root / f'{split}2017'
        image_dir.mkdir()
        images, annotations = [], []
        for index in range(count):
            height, width = sizes[index % len(sizes)]
            empty = split == 'train' and index >= count - num_empty_train
            scene = render_scene(_generation.item_rng(seed, split, index), height, width,
                                 difficulty, num_objects=0 if empty else None)
            file_name = f'{image_id:012d}.jpg'  # COCO names files by zero-padded image id
            # cv2 writes BGR; the scene is RGB
            cv2.imwrite(str(image_dir / file_name), scene.image[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
            new = _annotations(scene, image_id, annotation_id)
            annotations += new
            annotation_id += len(new)
            image_id += 1
        document = dict(
            info=dict(description=f'dart_dense COCO-layout demo data ({split})', version='1.0',
                      contributor='dart_dense'),
            licenses=[], images=images, annotations=annotations,
            categories=[dict(c) for c in COCO_CATEGORIES])
        (root / 'annotations' / f'instances_{split}2017.json').write_text(json.dumps(document))
    _generation.finish(root, 'coco', params)
    return root


def mask_to_polygons(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> list[list[float]]:
    """Outer boundaries of a binary mask as COCO polygons through pixel corners.

    The mask is upsampled 2× so that cv2's boundary-pixel centres map exactly onto pixel
    corners (left/top boundary pixels land on even coordinates, right/bottom on odd ones:
    ``ceil(p / 2)`` is the corner); pycocotools then rasterizes each polygon back to exactly
    the component, holes filled (COCO polygons cannot carry holes: an annotation's polygons
    are united).

    Args:
        mask: (h, w) bool or uint8.
        offset: (x, y) added to every vertex (the mask window's origin in the image).

    Returns:
        list: one flat [x1, y1, x2, y2, ...] list per component with at least 3 vertices.
    """
    up = np.repeat(np.repeat(mask.astype(np.uint8), 2, axis=0), 2, axis=1)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        corners = np.ceil(contour.reshape(-1, 2) / 2.0) + np.asarray(offset, np.float64)
        # drop consecutive duplicates that the ceil can create at 1-pixel features
        keep = np.any(corners != np.roll(corners, 1, axis=0), axis=1)
        corners = corners[keep]
        if len(corners) >= 3:
            polygons.append([float(v) for v in corners.ravel()])
    return polygons
