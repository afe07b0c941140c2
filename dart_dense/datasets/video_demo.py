"""A demo dataset in Kinetics' video-list layout, rendered by :mod:`.scenes`.

::

    root/videos_train/clip_00000001.mp4      MPEG-4 Part 2 ('mp4v') clips, readable by decord
    root/videos_val/clip_00000001.mp4
    root/train_list.txt                      "clip_00000001.mp4 3" per line (path relative to
    root/val_list.txt                         videos_<split>/, label = VIDEO_DEMO_CLASSES index)

which is what mmaction2's ``VideoDataset`` reads with
``ann_file='train_list.txt', data_prefix=dict(video='videos_train')`` under ``data_root=root``.

The class is *how* a small object moves over a large static background: one of the six
motions in :data:`VIDEO_DEMO_CLASSES`. Everything else (background, the object's shape, colour
and size, a few static distractor objects) is drawn from the same distribution for every
class, and every motion covers the whole frame, so a single frame does not tell the class: a
model needs the small object (space) and its trajectory (time). File names carry no label.

``difficulty='demo'`` draws plain backgrounds (a wall or a sky gradient) and up to two
distractors: a tiny video transformer trained from scratch on a CPU learns it in minutes.
``'hard'`` adds the textured floor/grass backgrounds and up to three distractors; measured,
neither a small 3-D CNN (300 steps) nor the tubelet transformer of the demo config (800 steps)
left chance on it (see docs/video.md).
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Literal, Union

import cv2
import numpy as np

from . import _generation
from .scenes import (THING_SHAPES, check_size, draw_object, finish_image,
                     render_background, sample_object)

__all__ = ['VIDEO_DEMO_CLASSES', 'generate_video_demo', 'write_truncated_copy']

VideoDifficulty = Literal['demo', 'hard']
# (textured backgrounds allowed, most static distractors) per difficulty
_DIFFICULTY = {'demo': (False, 2), 'hard': (True, 3)}

VIDEO_DEMO_CLASSES: tuple[str, ...] = ('moving_right', 'moving_left', 'moving_up', 'moving_down',
                                       'circling', 'blinking')


def _trajectory(rng: np.random.Generator, motion: str, num_frames: int, height: int, width: int,
                radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Object centres (T, 2) as (x, y) pixels and visibility (T,) bool for one motion class.

    Straight motions travel 35-60 % of the free extent from a uniform start; circles have a
    radius of 15-30 % of the shorter side and turn 0.75-1.25 times either way; blinking stays
    put and toggles every 2 or 3 frames.
    """
    t = np.linspace(0.0, 1.0, num_frames)
    lo = np.array([radius + 1.0, radius + 1.0])
    hi = np.array([width - radius - 1.0, height - radius - 1.0])
    visible = np.ones(num_frames, bool)
    if motion.startswith('moving'):
        axis = 0 if motion in ('moving_right', 'moving_left') else 1
        length = rng.uniform(0.35, 0.6) * (hi[axis] - lo[axis])
        start = rng.uniform(lo[axis], hi[axis] - length)
        centres = np.repeat(rng.uniform(lo, hi)[None], num_frames, axis=0)
        forward = motion in ('moving_right', 'moving_down')  # image y grows downwards
        centres[:, axis] = start + length * (t if forward else 1.0 - t)
        return centres, visible
    if motion == 'circling':
        rho = min(rng.uniform(0.15, 0.3) * min(height, width), 0.5 * float(np.min(hi - lo)))
        middle = rng.uniform(lo + rho, hi - rho)
        turns = rng.uniform(0.75, 1.25) * rng.choice([-1.0, 1.0])
        angle = rng.uniform(0.0, 2 * math.pi) + 2 * math.pi * turns * t
        return middle + rho * np.stack([np.cos(angle), np.sin(angle)], axis=1), visible
    period, phase = int(rng.integers(2, 4)), int(rng.integers(0, 4))
    visible = (np.arange(num_frames) + phase) // period % 2 == 0
    return np.repeat(rng.uniform(lo, hi)[None], num_frames, axis=0), visible


def _render_clip(rng: np.random.Generator, label: int, num_frames: int, height: int,
                 width: int, difficulty: VideoDifficulty = 'demo') -> np.ndarray:
    """(T, H, W, 3) uint8 **RGB** frames of one clip of class ``VIDEO_DEMO_CLASSES[label]``."""
    textured, max_distractors = _DIFFICULTY[difficulty]
    background, _ = render_background(rng, height, width, textured=textured)
    short = min(height, width)
    for _ in range(int(rng.integers(0, max_distractors + 1))):  # static, of the same kinds
        distractor = sample_object(rng, int(rng.integers(len(THING_SHAPES))),
                                   rng.uniform(0.05, 0.15) * short, height, width, background)
        draw_object(background, distractor)
    diameter = max(rng.uniform(0.12, 0.22) * short, 5.0)
    actor = sample_object(rng, int(rng.integers(len(THING_SHAPES))), diameter, height, width,
                          background)
    centres, visible = _trajectory(rng, VIDEO_DEMO_CLASSES[label], num_frames, height, width,
                                   actor.radius)
    frames = np.empty((num_frames, height, width, 3), np.uint8)
    for k in range(num_frames):
        frame = background.copy()
        if visible[k]:
            draw_object(frame, dataclasses.replace(actor, center=tuple(map(float, centres[k]))))
        frames[k] = finish_image(rng, frame)  # fresh noise every frame, as a camera's
    return frames


def _write_mp4(path: Path, frames: np.ndarray, fps: float) -> None:
    """Writes (T, H, W, 3) uint8 RGB frames as an 'mp4v' MP4 with cv2 (which wants BGR)."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter cannot write {path} with the mp4v codec')
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()


def generate_video_demo(root: Union[str, Path], num_train: int = 960, num_val: int = 120,
                        seed: int = 0, num_frames: int = 16,
                        size: Union[int, tuple[int, int]] = (96, 128), fps: float = 10.0,
                        difficulty: VideoDifficulty = 'demo') -> Path:
    """Writes (or reuses) the Kinetics-layout demo video dataset under ``root``.

    Idempotent like :func:`~.ade20k_demo.generate_ade20k_demo` (marker file
    ``root/.dart_dense_demo.json``). Labels are balanced within each split (clip ``i`` has
    class ``i % 6`` before a seeded shuffle); clip ``i`` depends only on (``seed``, split, ``i``)
    and its label.

    Args:
        root: dataset root; created if needed.
        num_train: training clips (>= 1).
        num_val: validation clips (>= 1).
        seed: non-negative dataset seed.
        num_frames: frames per clip (>= 4).
        size: frame size (H, W), or one int for square frames; sides >= 32 and even (the
            MPEG-4 encoder needs even sides).
        fps: frame rate written into the container (> 0).
        difficulty: ``'demo'`` (plain backgrounds, up to two distractors) or ``'hard'``
            (textured backgrounds too, up to three distractors); see the module docstring.

    Returns:
        Path: ``root``.

    Raises:
        ValueError: a count out of range, an odd or too small side, a negative seed or a
            non-positive fps.
        FileExistsError: ``root`` holds the video folders or lists not written by this
            generator.
    """
    height, width = check_size(*((size, size) if isinstance(size, int) else size))
    if height % 2 or width % 2:
        raise ValueError(f'size must have even sides for the mp4v encoder, got ({height}, '
                         f'{width})')
    if not fps > 0:
        raise ValueError(f'fps must be > 0, got {fps}')
    if difficulty not in _DIFFICULTY:
        raise ValueError(f"difficulty must be one of {sorted(_DIFFICULTY)}, got {difficulty!r}")
    params = dict(num_train=_generation.check_count(num_train, 'num_train'),
                  num_val=_generation.check_count(num_val, 'num_val'),
                  seed=_generation.check_seed(seed),
                  num_frames=_generation.check_count(num_frames, 'num_frames', minimum=4),
                  size=[height, width], fps=float(fps), difficulty=difficulty)
    root = Path(root)
    if _generation.is_current(root, 'video', params):
        return root
    _generation.begin(root, 'video', params, outputs=('videos_train', 'videos_val',
                                                      'train_list.txt', 'val_list.txt'))
    for split in ('train', 'val'):
        count = params[f'num_{split}']
        folder = root / f'videos_{split}'
        folder.mkdir()
        labels = np.arange(count) % len(VIDEO_DEMO_CLASSES)
        _generation.split_rng(seed, split).shuffle(labels)  # balanced, order not periodic
        lines = []
        for index, label in enumerate(labels):
            frames = _render_clip(_generation.item_rng(seed, split, index), int(label),
                                  num_frames, height, width, difficulty)
            name = f'clip_{index + 1:08d}.mp4'
            _write_mp4(folder / name, frames, fps)
            lines.append(f'{name} {int(label)}\n')
        (root / f'{split}_list.txt').write_text(''.join(lines))
    _generation.finish(root, 'video', params)
    return root


def write_truncated_copy(src: Union[str, Path], dst: Union[str, Path],
                         keep_fraction: float = 0.5) -> Path:
    """Copies the first ``keep_fraction`` of ``src``'s bytes to ``dst``: a corrupt video.

    cv2 writes the MP4 index ('moov' box) after the frames, so any truncation loses it and
    demuxers (decord/FFmpeg) cannot open the file; used to test error handling.

    Args:
        src: a video file.
        dst: where to write the truncated copy (parent folders are created).
        keep_fraction: fraction of the bytes to keep, in (0, 1).

    Returns:
        Path: ``dst``.

    Raises:
        ValueError: ``keep_fraction`` outside (0, 1).
    """
    if not 0.0 < keep_fraction < 1.0:
        raise ValueError(f'keep_fraction must be in (0, 1), got {keep_fraction}')
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data[:max(1, int(len(data) * keep_fraction))])
    return dst
