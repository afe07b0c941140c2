"""ADE20K-layout demo data: layout, label ids, determinism, idempotence, mmseg loading."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from dart_dense.datasets import (ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS,
                                 ADE20K_DEMO_PALETTE, generate_ade20k_demo)
from dart_dense.datasets._generation import MARKER_NAME


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file() and p.name != MARKER_NAME}


def test_layout_and_names(ade_root):
    for split, prefix, count in (('training', 'train', 4), ('validation', 'val', 2)):
        images = sorted((ade_root / 'images' / split).iterdir())
        labels = sorted((ade_root / 'annotations' / split).iterdir())
        names = [f'ADE_{prefix}_{i:08d}.jpg' for i in range(1, count + 1)]
        assert [p.name for p in images] == names
        assert [p.stem for p in labels] == [p.stem for p in images]
        assert all(p.suffix == '.png' for p in labels)
        image = cv2.imread(str(images[0]), cv2.IMREAD_UNCHANGED)
        label = cv2.imread(str(labels[0]), cv2.IMREAD_UNCHANGED)
        assert image.shape == (96, 128, 3) and label.shape == (96, 128)
        assert label.dtype == np.uint8


def test_label_values_are_ade20k_ids(ade_root):
    values = set()
    for path in (ade_root / 'annotations').rglob('*.png'):
        values |= set(np.unique(cv2.imread(str(path), cv2.IMREAD_UNCHANGED)).tolist())
    assert values <= {0, *ADE20K_DEMO_LABEL_IDS}
    assert 0 in values  # "other" exists, so reduce_zero_label has something to ignore
    assert len(values & set(ADE20K_DEMO_LABEL_IDS[4:])) >= 3  # several thing classes


def test_constants_match_mmseg_metainfo():
    from mmseg.datasets import ADE20KDataset

    classes, palette = ADE20KDataset.METAINFO['classes'], ADE20KDataset.METAINFO['palette']
    for name, label_id, colour in zip(ADE20K_DEMO_CLASSES, ADE20K_DEMO_LABEL_IDS,
                                      ADE20K_DEMO_PALETTE):
        assert classes[label_id - 1] == name
        assert list(palette[label_id - 1]) == list(colour)


@pytest.mark.parametrize('with_palette', [True, False])
def test_mmseg_subset_with_reduce_zero_label(ade_root, with_palette):
    """A sample through the stock pipeline: 0 → 255, ADE id k → position of its name."""
    from mmcv.transforms import LoadImageFromFile
    from mmseg.datasets import ADE20KDataset
    from mmseg.datasets.transforms import LoadAnnotations

    metainfo = dict(classes=ADE20K_DEMO_CLASSES)
    if with_palette:
        metainfo['palette'] = ADE20K_DEMO_PALETTE
    dataset = ADE20KDataset(
        data_root=str(ade_root), metainfo=metainfo,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        pipeline=[LoadImageFromFile(), LoadAnnotations()])
    assert len(dataset) == 2
    assert dataset.metainfo['classes'] == ADE20K_DEMO_CLASSES
    assert [tuple(c) for c in dataset.metainfo['palette']] == list(ADE20K_DEMO_PALETTE)
    sample = dataset[0]
    raw = cv2.imread(sample['seg_map_path'], cv2.IMREAD_UNCHANGED)
    expected = np.full(256, 255, np.uint8)  # 0 and any id outside the subset: ignored
    expected[list(ADE20K_DEMO_LABEL_IDS)] = np.arange(len(ADE20K_DEMO_CLASSES))
    np.testing.assert_array_equal(sample['gt_seg_map'], expected[raw])
    assert sample['img'].shape == (96, 128, 3)


def test_same_seed_same_bytes_other_seed_differs(ade_root, demo_args, tmp_path):
    args = demo_args['ade20k']
    again = generate_ade20k_demo(tmp_path / 'again', **args)
    assert _files(again) == _files(ade_root)
    other = generate_ade20k_demo(tmp_path / 'other', **{**args, 'seed': 1})
    assert set(_files(other)) == set(_files(ade_root))
    assert all(_files(other)[k] != v for k, v in _files(ade_root).items() if k.endswith('.jpg'))


def test_idempotent_and_regenerates_on_new_parameters(tmp_path):
    args = dict(num_train=2, num_val=1, size=64, seed=0)
    root = generate_ade20k_demo(tmp_path, **args)
    first = root / 'images' / 'training' / 'ADE_train_00000001.jpg'
    stamp = first.stat().st_mtime_ns
    generate_ade20k_demo(tmp_path, **args)
    assert first.stat().st_mtime_ns == stamp  # untouched
    generate_ade20k_demo(tmp_path, **{**args, 'num_train': 1})
    assert len(list((root / 'images' / 'training').iterdir())) == 1  # stale files removed


def test_hard_difficulty_has_more_objects(tmp_path):
    def thing_components(root: Path) -> int:
        count = 0
        for path in (root / 'annotations').rglob('*.png'):
            label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            for thing_id in ADE20K_DEMO_LABEL_IDS[4:]:
                count += cv2.connectedComponents((label == thing_id).astype(np.uint8))[0] - 1
        return count

    args = dict(num_train=2, num_val=1, size=128, seed=0)
    demo = generate_ade20k_demo(tmp_path / 'demo', **args)
    hard = generate_ade20k_demo(tmp_path / 'hard', difficulty='hard', **args)
    assert thing_components(hard) > 1.5 * thing_components(demo)


def test_refuses_to_overwrite_foreign_data(tmp_path):
    (tmp_path / 'images').mkdir()
    with pytest.raises(FileExistsError, match=MARKER_NAME):
        generate_ade20k_demo(tmp_path, num_train=1, num_val=1, size=64)
    assert (tmp_path / 'images').is_dir()


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_train=0), 'num_train'), (dict(num_val=0), 'num_val'), (dict(size=16), 'size'),
    (dict(size=(64, 8)), 'size'), (dict(seed=-1), 'seed'), (dict(difficulty='easy'), 'difficulty'),
])
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        generate_ade20k_demo(tmp_path, **{**dict(num_train=1, num_val=1, size=64), **kwargs})
    assert not any(tmp_path.iterdir())  # validated before anything is written


def test_refuses_to_mix_kinds_in_one_root(tmp_path):
    from dart_dense.datasets import generate_coco_demo

    generate_ade20k_demo(tmp_path, num_train=1, num_val=1, size=64)
    with pytest.raises(FileExistsError, match='ade20k'):
        generate_coco_demo(tmp_path, num_train=2, num_val=1, sizes=[(64, 64)])
