"""COCO-layout demo data: JSON validity (pycocotools, mmdet), sizes, empty images, determinism."""
import json

import numpy as np
import pytest

from dart_dense.datasets import COCO_DEMO_CATEGORIES, COCO_DEMO_CLASSES, generate_coco_demo
from dart_dense.datasets.coco_demo import COCO_CATEGORIES

# pycocotools' mask decoding trips a numpy 2 DeprecationWarning (copy keyword) that is not ours
pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')


def _coco(root, split):
    from pycocotools.coco import COCO

    return COCO(str(root / 'annotations' / f'instances_{split}2017.json'))


def test_pycocotools_reads_valid_annotations(coco_root):
    coco = _coco(coco_root, 'train')
    assert [coco.cats[i] for i in sorted(coco.cats)] == list(COCO_CATEGORIES)
    used = {a['category_id'] for a in coco.anns.values()}
    assert used <= {c['id'] for c in COCO_DEMO_CATEGORIES} and len(used) >= 3
    assert len(coco.imgs) == 6 and len(coco.anns) > 20
    for image in coco.imgs.values():
        assert (coco_root / 'train2017' / image['file_name']).is_file()
        assert image['file_name'] == f"{image['id']:012d}.jpg"
    for ann in coco.anns.values():
        image = coco.imgs[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert ann['iscrowd'] == 0 and ann['category_id'] in coco.cats
        assert 0 <= x and 0 <= y and x + w <= image['width'] and y + h <= image['height']
        assert ann['segmentation'] and all(len(p) >= 6 and len(p) % 2 == 0
                                           for p in ann['segmentation'])
        mask = coco.annToMask(ann)  # the polygons rasterize to exactly bbox and area
        ys, xs = np.nonzero(mask)
        assert mask.sum() == ann['area'] > 0
        assert [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()] == \
            [x, y, w, h]


def test_sizes_vary_and_an_image_is_empty(coco_root):
    coco = _coco(coco_root, 'train')
    shapes = {(i['height'], i['width']) for i in coco.imgs.values()}
    assert shapes == {(160, 240), (240, 160), (200, 200)}
    counts = [len(coco.getAnnIds(imgIds=[i])) for i in sorted(coco.imgs)]
    assert counts[-1] == 0 and min(counts[:-1]) > 0


def test_objects_of_very_different_sizes(coco_root):
    areas = np.array([a['area'] for a in _coco(coco_root, 'train').anns.values()])
    assert areas.max() / areas.min() >= 50


def test_ids_unique_across_splits(coco_root):
    train, val = _coco(coco_root, 'train'), _coco(coco_root, 'val')
    assert not set(train.imgs) & set(val.imgs)
    assert not set(train.anns) & set(val.anns)
    assert len(val.imgs) == 3


@pytest.mark.parametrize('filter_empty_gt', [False, True])
def test_mmdet_coco_dataset_with_class_subset(coco_root, filter_empty_gt):
    from mmcv.transforms import LoadImageFromFile
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations

    dataset = CocoDataset(
        data_root=str(coco_root), ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'), metainfo=dict(classes=COCO_DEMO_CLASSES),
        filter_cfg=dict(filter_empty_gt=filter_empty_gt),
        pipeline=[LoadImageFromFile(), LoadAnnotations(with_bbox=True, with_mask=True)])
    assert len(dataset) == (5 if filter_empty_gt else 6)
    for index in range(len(dataset)):
        sample = dataset[index]
        labels = sample['gt_bboxes_labels']
        assert sample['img'].shape[:2] == (sample['height'], sample['width'])
        assert len(labels) == len(sample['gt_bboxes']) == len(sample['gt_masks'])
        assert np.all((labels >= 0) & (labels < len(COCO_DEMO_CLASSES)))
    assert len(sample['gt_bboxes']) == (len(labels) if filter_empty_gt else 0)


def test_stock_80_class_dataset_finds_the_categories(coco_root):
    """Without a metainfo override the labels are COCO's 80-class ones (all categories listed)."""
    from mmdet.datasets import CocoDataset

    assert [c['name'] for c in COCO_CATEGORIES] == list(CocoDataset.METAINFO['classes'])

    dataset = CocoDataset(data_root=str(coco_root),
                          ann_file='annotations/instances_val2017.json',
                          data_prefix=dict(img='val2017/'), pipeline=[])
    labels = {inst['bbox_label'] for info in dataset for inst in info['instances']}
    names = {dataset.metainfo['classes'][i] for i in labels}
    assert names <= set(COCO_DEMO_CLASSES) and len(names) >= 3


def test_same_seed_same_files_other_seed_differs(coco_root, demo_args, tmp_path):
    args = demo_args['coco']
    again = generate_coco_demo(tmp_path / 'again', **args)
    other = generate_coco_demo(tmp_path / 'other', **{**args, 'seed': 1})
    for name in ('annotations/instances_train2017.json', 'train2017/000000000001.jpg'):
        assert (again / name).read_bytes() == (coco_root / name).read_bytes()
        assert (other / name).read_bytes() != (coco_root / name).read_bytes()


def test_no_empty_image_when_asked(tmp_path):
    root = generate_coco_demo(tmp_path, num_train=2, num_val=1, sizes=[(64, 64)],
                              num_empty_train=0)
    document = json.loads((root / 'annotations' / 'instances_train2017.json').read_text())
    assert {a['image_id'] for a in document['annotations']} == {1, 2}


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_train=0), 'num_train'), (dict(num_val=0), 'num_val'),
    (dict(num_train=1), 'num_empty_train'), (dict(sizes=[(20, 64)]), 'sizes'),
    (dict(sizes=[]), 'sizes'), (dict(seed=-2), 'seed'), (dict(difficulty='x'), 'difficulty'),
])
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        generate_coco_demo(tmp_path, **{**dict(num_train=2, num_val=1), **kwargs})
    assert not any(tmp_path.iterdir())
