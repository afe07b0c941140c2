"""Kinetics-layout demo clips: decord reads them, lists, balance, determinism, a corrupt copy."""
from pathlib import Path

import numpy as np
import pytest

from dart_dense.datasets import VIDEO_DEMO_CLASSES, generate_video_demo, write_truncated_copy

decord = pytest.importorskip('decord')


def _list(root: Path, split: str) -> list[tuple[str, int]]:
    lines = (root / f'{split}_list.txt').read_text().splitlines()
    return [(name, int(label)) for name, label in (line.split(' ') for line in lines)]


def _frames(path: Path) -> np.ndarray:
    reader = decord.VideoReader(str(path))
    return reader.get_batch(list(range(len(reader)))).asnumpy()


@pytest.mark.parametrize('split, count', [('train', 6), ('val', 3)])
def test_decord_reads_every_clip(video_root, split, count):
    entries = _list(video_root, split)
    assert len(entries) == count
    for name, label in entries:
        path = video_root / f'videos_{split}' / name
        assert 0 <= label < len(VIDEO_DEMO_CLASSES)
        reader = decord.VideoReader(str(path))
        assert len(reader) == 8
        assert _frames(path).shape == (8, 48, 64, 3)


def test_labels_balanced_and_not_in_file_names(video_root):
    entries = _list(video_root, 'train')
    assert sorted(label for _, label in entries) == list(range(6))  # one clip per class
    assert all(not any(c in name for c in VIDEO_DEMO_CLASSES) for name, _ in entries)


def test_the_object_moves_as_labelled(video_root):
    # the frame-to-frame change is concentrated where the object is: track its centroid
    for name, label in _list(video_root, 'train'):
        frames = _frames(video_root / 'videos_train' / name).astype(np.float32)
        diff = np.abs(frames - np.median(frames, axis=0)).sum(-1)  # (T, H, W)
        weights = np.where(diff > 60, diff, 0.0)
        mass = weights.sum((1, 2))
        ys, xs = np.mgrid[:48, :64]
        shown = mass > 0
        cx = (weights * xs).sum((1, 2))[shown] / mass[shown]
        cy = (weights * ys).sum((1, 2))[shown] / mass[shown]
        motion = VIDEO_DEMO_CLASSES[label]
        if motion == 'moving_right':
            assert cx[-1] - cx[0] > 5
        elif motion == 'moving_left':
            assert cx[0] - cx[-1] > 5
        elif motion == 'moving_down':
            assert cy[-1] - cy[0] > 5
        elif motion == 'moving_up':
            assert cy[0] - cy[-1] > 5
        elif motion == 'blinking':  # on and off: some transitions change it, some do not
            changed = (np.abs(np.diff(frames, axis=0)).sum(-1) > 60).sum((1, 2))
            assert changed.max() > 10 and changed.min() < 0.2 * changed.max(), changed


def test_mmaction_video_dataset_reads_the_list(video_root):
    from mmaction.datasets import VideoDataset

    dataset = VideoDataset(ann_file=str(video_root / 'val_list.txt'),
                           data_prefix=dict(video=str(video_root / 'videos_val')), pipeline=[])
    assert len(dataset) == 3
    info = dataset.get_data_info(0)
    assert Path(info['filename']).is_file() and 0 <= info['label'] < len(VIDEO_DEMO_CLASSES)


def test_same_seed_same_frames_other_seed_differs(video_root, demo_args, tmp_path):
    args = demo_args['video']
    again = generate_video_demo(tmp_path / 'again', **args)
    other = generate_video_demo(tmp_path / 'other', **{**args, 'seed': 1})
    name = 'videos_train/clip_00000001.mp4'
    assert (again / 'train_list.txt').read_text() == (video_root / 'train_list.txt').read_text()
    assert (again / name).read_bytes() == (video_root / name).read_bytes()
    np.testing.assert_array_equal(_frames(again / name), _frames(video_root / name))
    assert not np.array_equal(_frames(other / name), _frames(video_root / name))


def test_truncated_copy_cannot_be_decoded(video_root, tmp_path):
    source = video_root / 'videos_val' / 'clip_00000001.mp4'
    broken = write_truncated_copy(source, tmp_path / 'sub' / 'broken.mp4')
    assert 0 < broken.stat().st_size < source.stat().st_size
    with pytest.raises(Exception):  # decord raises DECORDError (an Exception subclass)
        _frames(broken)
    with pytest.raises(ValueError, match='keep_fraction'):
        write_truncated_copy(source, tmp_path / 'x.mp4', keep_fraction=1.0)


@pytest.mark.parametrize('kwargs, name', [
    (dict(num_train=0), 'num_train'), (dict(num_val=0), 'num_val'),
    (dict(num_frames=2), 'num_frames'), (dict(size=(48, 63)), 'size'), (dict(size=16), 'size'),
    (dict(seed=-1), 'seed'), (dict(fps=0), 'fps'),
])
def test_bad_arguments_are_named(tmp_path, kwargs, name):
    with pytest.raises(ValueError, match=name):
        generate_video_demo(tmp_path, **{**dict(num_train=1, num_val=1, size=32), **kwargs})
    assert not any(tmp_path.iterdir())
