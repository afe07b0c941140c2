"""Reading the demo clips: decord, named errors for bad videos, skipping, short clips."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import dart_dense  # noqa: F401  (compat shims before mmaction)
from dart_dense.datasets import generate_video_demo, write_truncated_copy
from dart_dense.datasets.video_transforms import SafeDecordInit

@pytest.fixture(autouse=True)
def mmaction_scope() -> None:
    init_default_scope('mmaction')


def test_decord_reads_the_generated_clips(video_demo_root: Path, demo_clips: dict) -> None:
    import decord

    for split in ('train', 'val'):
        names = [line.split()[0] for line in
                 (video_demo_root / f'{split}_list.txt').read_text().splitlines()]
        assert len(names) == demo_clips[f'num_{split}']
        for name in names:
            reader = decord.VideoReader(str(video_demo_root / f'videos_{split}' / name))
            frames = reader.get_batch(list(range(len(reader)))).asnumpy()
            assert frames.shape == (demo_clips['num_frames'], *demo_clips['size'], 3)
            assert frames.std() > 1  # real content, not blank frames


def first_clip(root: Path) -> Path:
    return root / 'videos_train' / 'clip_00000001.mp4'


def test_truncated_video_error_names_the_file(video_demo_root: Path, tmp_path: Path) -> None:
    broken = write_truncated_copy(first_clip(video_demo_root), tmp_path / 'broken.mp4')
    with pytest.raises(ValueError, match=r"cannot read video file '.*broken\.mp4'"):
        SafeDecordInit()(dict(filename=str(broken)))
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.mp4'):
        SafeDecordInit()(dict(filename=str(empty)))


def test_missing_video_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        SafeDecordInit()(dict(filename=str(tmp_path / 'missing.mp4')))


def test_readable_video_passes_through(video_demo_root: Path, demo_clips: dict) -> None:
    results = SafeDecordInit(skip_unreadable=True)(dict(filename=str(first_clip(video_demo_root))))
    assert results['total_frames'] == demo_clips['num_frames']
    assert 'video_reader' in results


def bad_list_dataset(root: Path, tmp_path: Path, test_mode: bool, skip: bool) -> object:
    """A VideoDataset listing a truncated clip (index 0) and a good one (index 1)."""
    from mmaction.datasets import VideoDataset

    write_truncated_copy(first_clip(root), tmp_path / 'videos' / 'broken.mp4')
    (tmp_path / 'videos' / 'good.mp4').write_bytes(first_clip(root).read_bytes())
    (tmp_path / 'list.txt').write_text('broken.mp4 0\ngood.mp4 3\n')
    pipeline = [dict(type='SafeDecordInit', skip_unreadable=skip),
                dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1,
                     test_mode=test_mode),
                dict(type='DecordDecode')]
    return VideoDataset(ann_file=str(tmp_path / 'list.txt'), pipeline=pipeline,
                        data_prefix=dict(video=str(tmp_path / 'videos')), test_mode=test_mode)


def test_training_can_skip_unreadable_videos(video_demo_root: Path, tmp_path: Path) -> None:
    dataset = bad_list_dataset(video_demo_root, tmp_path, test_mode=False, skip=True)
    sample = dataset[0]  # the broken clip: mmengine's BaseDataset draws another one
    assert sample['filename'].endswith('good.mp4') and sample['label'] == 3
    assert len(sample['imgs']) == 4


def test_unreadable_video_stops_training_by_default(video_demo_root: Path,
                                                    tmp_path: Path) -> None:
    dataset = bad_list_dataset(video_demo_root, tmp_path, test_mode=False, skip=False)
    with pytest.raises(ValueError, match='broken.mp4'):
        dataset[0]


def test_skipping_is_refused_at_test_time(video_demo_root: Path, tmp_path: Path) -> None:
    dataset = bad_list_dataset(video_demo_root, tmp_path, test_mode=True, skip=True)
    with pytest.raises(Exception, match='should not get `None`'):
        dataset[0]


@pytest.mark.parametrize('test_mode', [False, True])
def test_short_clips_loop_like_mmaction(tmp_path: Path, test_mode: bool) -> None:
    root = generate_video_demo(tmp_path, num_train=1, num_val=1, num_frames=4, size=(32, 32))
    pipeline = Compose([
        dict(type='SafeDecordInit'),
        dict(type='SampleFrames', clip_len=8, frame_interval=2, num_clips=1,
             test_mode=test_mode),
        dict(type='DecordDecode'),
    ])
    results = pipeline(dict(filename=str(first_clip(root)), start_index=0, modality='RGB'))
    # 8 samples 2 apart need 16 frames; mmaction's SampleFrames wraps around ('loop')
    assert results['total_frames'] == 4
    assert results['frame_inds'].tolist() == [0, 2, 0, 2, 0, 2, 0, 2]
    assert len(results['imgs']) == 8
    np.testing.assert_array_equal(results['imgs'][0], results['imgs'][2])


def test_repr_mentions_the_option() -> None:
    assert 'skip_unreadable=True' in repr(SafeDecordInit(skip_unreadable=True))
