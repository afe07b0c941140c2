"""Bad input fails early and names what is wrong: missing dataset, unreadable image, budget."""
from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS
from seg_helpers import DEMO_CONFIG, REPO_ROOT, load_config


def _load_tool(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('config', ['upernet_dart.py', 'upernet_dart_demo.py'])
def test_train_tool_names_a_missing_dataset(config: str, tmp_path: Path) -> None:
    missing = tmp_path / 'no_such_ade20k'
    argv = [str(REPO_ROOT / 'configs' / 'seg' / config), '--work-dir', str(tmp_path / 'w'),
            '--cfg-options', f'train_dataloader.dataset.data_root={missing}']
    with pytest.raises(FileNotFoundError) as error:
        _load_tool('train').main(argv)
    message = str(error.value)
    assert 'train_dataloader' in message and str(missing) in message
    assert 'ADE20K' in message and 'docs/datasets.md' in message
    assert 'generate_demo_data.py ade20k' in message and 'tools/run_demo.sh' in message
    assert not (tmp_path / 'w').exists()  # failed before the runner was built


def test_test_tool_names_a_missing_dataset(tmp_path: Path) -> None:
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'')  # the dataset check comes first
    missing = tmp_path / 'elsewhere'
    argv = [str(DEMO_CONFIG), str(checkpoint), '--work-dir', str(tmp_path / 'w'),
            '--cfg-options', f'test_dataloader.dataset.data_root={missing}']
    with pytest.raises(FileNotFoundError, match='test_dataloader.*elsewhere'):
        _load_tool('test').main(argv)


@pytest.mark.parametrize('damage', ['empty', 'garbage', 'truncated'])
def test_unreadable_image_is_named(damage: str, seg_demo_root: Path, tmp_path: Path,
                                   tiny_demo_config: Callable[..., Config]) -> None:
    root = tmp_path / 'ade'
    shutil.copytree(seg_demo_root, root)
    image = root / 'images' / 'validation' / 'ADE_val_00000002.jpg'
    data = image.read_bytes()
    image.write_bytes({'empty': b'', 'garbage': b'not a jpeg', 'truncated': data[:200]}[damage])
    cfg = tiny_demo_config(**{'val_dataloader.dataset.data_root': str(root)})
    init_default_scope('mmseg')
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    dataset[0]  # the intact image loads
    with pytest.raises(ValueError, match='ADE_val_00000002.jpg'):
        dataset[1]


def test_token_budget_beyond_the_image_is_rejected_at_build() -> None:
    """The demo crop (256x256, 16 px patches) holds at most 256 tokens."""
    cfg = load_config(DEMO_CONFIG)
    cfg.model.backbone.tokenizer.num_tokens = 257
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match=r'num_tokens=257 .*256x256.*at most 256'):
        MODELS.build(cfg.model)


def test_token_budget_that_fits_builds() -> None:
    cfg = load_config(DEMO_CONFIG)
    cfg.model.backbone.tokenizer.num_tokens = 256
    init_default_scope('mmseg')
    assert MODELS.build(cfg.model).backbone.num_tokens == 256
