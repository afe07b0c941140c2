"""A demo dataset in ADE20K's on-disk layout, rendered by :mod:`.scenes`.

::

    root/images/training/ADE_train_00000001.jpg        RGB scenes (JPEG, quality 95)
    root/images/validation/ADE_val_00000001.jpg
    root/annotations/training/ADE_train_00000001.png   uint8 label maps
    root/annotations/validation/ADE_val_00000001.png

Label values are **ADE20K's own ids** (0 = other, ``k`` = the k-th of ADE20K's 150 classes), as
in the real ``ADEChallengeData2016``. That is what makes a class subset work with mmseg:
``ADE20KDataset(metainfo=dict(classes=ADE20K_DEMO_CLASSES,
palette=ADE20K_DEMO_PALETTE))`` accepts only names from ADE20K's list and builds a ``label_map`` from ADE20K's (zero-reduced)
ids to the positions in the subset. With ``reduce_zero_label=True`` (the stock ADE20K pipeline)
on-disk 0 becomes 255 (ignored) and ADE id ``k`` becomes ``k - 1``, which the label map then
sends to ``ADE20K_DEMO_CLASSES.index(name)``. Without the metainfo override the data also works
as plain 150-class ADE20K.

Scene classes map to ADE20K names as: stuff wall/sky/floor/grass to the same names; things
disc → ball, rectangle → box, triangle → tent, ring → plate, star → flower, cross → airplane.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import cv2
import numpy as np

from . import _generation
from .scenes import SCENE_CLASSES, check_size, get_style, render_scene

__all__ = ['ADE20K_DEMO_CLASSES', 'ADE20K_DEMO_PALETTE', 'ADE20K_DEMO_LABEL_IDS',
           'SCENE_TO_ADE20K', 'generate_ade20k_demo']

# Classes in ADE20K's order, their ids on disk (1-based positions in ADE20K's class list) and
# ADE20K's palette entries for them (both checked against mmseg's ADE20KDataset.METAINFO in the
# tests; copied here so that importing this module needs no mmseg).
ADE20K_DEMO_CLASSES: tuple[str, ...] = ('wall', 'sky', 'floor', 'grass', 'box', 'flower',
                                        'airplane', 'tent', 'ball', 'plate')
ADE20K_DEMO_LABEL_IDS: tuple[int, ...] = (1, 3, 4, 10, 42, 67, 91, 115, 120, 143)
ADE20K_DEMO_PALETTE: tuple[tuple[int, int, int], ...] = (
    (120, 120, 120), (6, 230, 230), (80, 50, 50), (4, 250, 7), (0, 255, 20), (255, 0, 0),
    (0, 255, 82), (112, 224, 255), (255, 0, 163), (0, 255, 184))
SCENE_TO_ADE20K: dict[str, str] = {
    'wall': 'wall', 'sky': 'sky', 'floor': 'floor', 'grass': 'grass', 'disc': 'ball',
    'rectangle': 'box', 'triangle': 'tent', 'ring': 'plate', 'star': 'flower',
    'cross': 'airplane'}

# scene semantic id -> ADE20K id on disk ('other' stays 0)
_LUT = np.array([0] + [ADE20K_DEMO_LABEL_IDS[ADE20K_DEMO_CLASSES.index(SCENE_TO_ADE20K[name])]
                       for name in SCENE_CLASSES[1:]], np.uint8)

_SPLITS = (('train', 'training'), ('val', 'validation'))


def generate_ade20k_demo(root: Union[str, Path], num_train: int = 200, num_val: int = 50,
                         size: Union[int, tuple[int, int]] = (256, 256), seed: int = 0,
                         difficulty: str = 'demo') -> Path:
    """Writes (or reuses) the ADE20K-layout demo dataset under ``root``.

    Idempotent: when ``root`` already holds a complete dataset written with the same arguments
    (recorded in ``root/.dart_dense_demo.json``) nothing is written; otherwise the previous
    demo files are replaced. Image ``i`` of a split depends only on (``seed``, split, ``i``).

    Args:
        root: dataset root; created if needed.
        num_train: images in ``training`` (>= 1).
        num_val: images in ``validation`` (>= 1).
        size: image size (H, W), or one int for square images; each side >= 32.
        seed: non-negative dataset seed.
        difficulty: 'demo' (~20 objects per 256², 4 px to a third of the side) or 'hard'
            (~50 smaller objects, for the evidence study).

    Returns:
        Path: ``root``.

    Raises:
        ValueError: a count below 1, a side below 32, a negative seed or an unknown difficulty.
        FileExistsError: ``root`` holds ``images/`` or ``annotations/`` not written by this
            generator.
    """
    height, width = check_size(*((size, size) if isinstance(size, int) else size))
    params = dict(num_train=_generation.check_count(num_train, 'num_train'),
                  num_val=_generation.check_count(num_val, 'num_val'), size=[height, width],
                  seed=_generation.check_seed(seed), difficulty=difficulty)
    get_style(difficulty)  # validates before anything is touched
    root = Path(root)
    if _generation.is_current(root, 'ade20k', params):
        return root
    _generation.begin(root, 'ade20k', params, outputs=('images', 'annotations'))
    for split, folder in _SPLITS:
        image_dir, label_dir = root / 'images' / folder, root / 'annotations' / folder
        image_dir.mkdir(parents=True)
        label_dir.mkdir(parents=True)
        for index in range(params[f'num_{split}']):
            scene = render_scene(_generation.item_rng(seed, split, index), height, width,
                                 difficulty)
            stem = f'ADE_{split}_{index + 1:08d}'
            # cv2 writes BGR; the scene is RGB
            cv2.imwrite(str(image_dir / f'{stem}.jpg'), scene.image[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(label_dir / f'{stem}.png'), _LUT[scene.semantic])
    _generation.finish(root, 'ade20k', params)
    return root
