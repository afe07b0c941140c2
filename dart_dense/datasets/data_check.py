"""Start-up check that a config's dataset folders exist, with a hint on how to get them.

Without it a missing dataset surfaces deep inside the dataset's ``load_data_list`` (after the
model is built) as a bare ``FileNotFoundError`` on one sub-folder. ``tools/train.py`` and
``tools/test.py`` call :func:`check_dataset_paths` before building the runner.
"""
from __future__ import annotations

import os.path as osp
from collections.abc import Iterator, Mapping, Sequence

__all__ = ['check_dataset_paths']

# dataset type -> (what it is, the demo generator that writes a stand-in in its layout)
_DATASETS = {
    'ADE20KDataset': ('ADE20K (ADEChallengeData2016)', 'ade20k'),
    'CocoDataset': ('COCO', 'coco'),
    'VideoDataset': ('Kinetics-style video list', 'video'),
}


def _datasets(dataset: Mapping) -> Iterator[Mapping]:
    """The dataset config and those inside wrappers (RepeatDataset, ConcatDataset, ...)."""
    yield dataset
    inner = dataset.get('dataset')
    if isinstance(inner, Mapping):
        yield from _datasets(inner)
    for item in dataset.get('datasets') or ():
        if isinstance(item, Mapping):
            yield from _datasets(item)


def _paths(dataset: Mapping) -> list[str]:
    """data_root, ann_file and data_prefix folders, joined as mmengine's BaseDataset does."""
    root = dataset.get('data_root') or ''
    paths = [root] if root else []
    prefixes = dataset.get('data_prefix') or {}
    for path in [dataset.get('ann_file'), *prefixes.values()]:
        if isinstance(path, str) and path:
            paths.append(path if osp.isabs(path) or not root else osp.join(root, path))
    return [p for p in paths if '://' not in p]  # remote backends are not checked


def check_dataset_paths(cfg: Mapping, loaders: Sequence[str]) -> None:
    """Raises when a dataset folder or annotation file of the named dataloaders is missing.

    Args:
        cfg: the run's config.
        loaders: dataloader keys to check, e.g. ``('train_dataloader', 'val_dataloader')``;
            absent or empty ones are skipped.

    Raises:
        FileNotFoundError: naming the dataloader, the missing path, the dataset's data_root
            and how to prepare the dataset or generate the demo stand-in.
    """
    for key in loaders:
        loader = cfg.get(key)
        if not isinstance(loader, Mapping) or not isinstance(loader.get('dataset'), Mapping):
            continue
        for dataset in _datasets(loader['dataset']):
            missing = [p for p in _paths(dataset) if not osp.exists(p)]
            if not missing:
                continue
            name, demo = _DATASETS.get(dataset.get('type'), (dataset.get('type'), None))
            hint = ('Prepare it as described in docs/datasets.md and point the config at it '
                    f'(--cfg-options {key}.dataset.data_root=DIR)')
            if demo is not None:
                hint += ('; or generate the demo data in its layout: python tools/dataset_'
                         f'converters/generate_demo_data.py {demo} --out DIR')
            if demo == 'ade20k':
                hint += ' (bash tools/run_demo.sh does this and trains on it)'
            raise FileNotFoundError(
                f'{key}: the {name} dataset is missing: {missing[0]!r} does not exist '
                f"(data_root={dataset.get('data_root')!r}). {hint}.")
