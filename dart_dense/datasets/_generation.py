"""What the three demo writers share besides drawing: argument checks, per-item generators and
idempotent generation.

A marker file records what wrote a dataset root, and with which parameters, so a second call
with the same parameters does nothing and a call with other parameters regenerates.

The marker is written *before* the first file (``complete: false``) and completed after the
last, so an interrupted run is recognized as ours and regenerated, while a directory that holds
the writer's folders but no marker (a real dataset, say) is never deleted.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .scenes import RENDER_VERSION

MARKER_NAME = '.dart_dense_demo.json'
# Fixed stream ids for the splits: an item's pixels depend on (seed, split, index) only, so
# asking for more training images leaves the first ones and the validation set unchanged.
_SPLIT_STREAMS = {'train': 1, 'val': 2}


def check_count(value: int, name: str, minimum: int = 1) -> int:
    """Returns ``value`` as an int; ValueError naming ``name`` when it is below ``minimum``."""
    if int(value) != value or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, got {value!r}')
    return int(value)


def check_seed(seed: int) -> int:
    """Returns ``seed`` as an int; ValueError when it is negative (numpy seed sequences take
    non-negative integers)."""
    if int(seed) != seed or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    return int(seed)


def split_rng(seed: int, split: str) -> np.random.Generator:
    """A generator for per-split choices (label order), independent of every item's."""
    return np.random.default_rng((check_seed(seed), _SPLIT_STREAMS[split]))


def item_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of item ``index`` of ``split`` ('train' or 'val') for dataset seed ``seed``."""
    return np.random.default_rng((check_seed(seed), _SPLIT_STREAMS[split], int(index)))


def _record(kind: str, params: dict[str, Any], complete: bool) -> dict[str, Any]:
    # the JSON round trip turns tuples into lists, so stored and fresh records compare equal
    return json.loads(json.dumps({'generator': kind, 'render_version': RENDER_VERSION,
                                  'params': params, 'complete': complete}))


def is_current(root: Path, kind: str, params: dict[str, Any]) -> bool:
    """Whether ``root`` holds a complete dataset written by ``kind`` with ``params``."""
    marker = root / MARKER_NAME
    if not marker.is_file():
        return False
    try:
        stored = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return stored == _record(kind, params, complete=True)


def begin(root: Path, kind: str, params: dict[str, Any], outputs: Sequence[str]) -> None:
    """Clears the writer's previous outputs under ``root`` and marks the dataset incomplete.

    Args:
        root: dataset root (created if missing).
        kind: generator name recorded in the marker ('ade20k', 'coco', 'video').
        params: the generator's parameters (JSON-serializable).
        outputs: the files and folders, relative to ``root``, that the writer produces.

    Raises:
        FileExistsError: one of ``outputs`` exists but ``root`` has no marker, i.e. it was not
            written by a demo generator, or ``root`` holds another kind of demo data; nothing
            is deleted.
    """
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER_NAME
    existing = [root / name for name in outputs if (root / name).exists()]
    if existing and not marker.is_file():
        raise FileExistsError(
            f'{existing[0]} exists but {root} has no {MARKER_NAME}: it was not written by the '
            'demo generator, refusing to overwrite it; pass another root')
    if marker.is_file():
        try:
            other = json.loads(marker.read_text()).get('generator')
        except ValueError:  # unreadable marker: an interrupted write of ours
            other = kind
        if other != kind:  # two kinds in one root would delete each other's folders
            raise FileExistsError(f'{root} holds {other!r} demo data; write {kind!r} demo data '
                                  'to another root')
    for path in existing:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    marker.write_text(json.dumps(_record(kind, params, complete=False), indent=1))


def finish(root: Path, kind: str, params: dict[str, Any]) -> None:
    """Marks the dataset under ``root`` complete."""
    (root / MARKER_NAME).write_text(json.dumps(_record(kind, params, complete=True), indent=1))
