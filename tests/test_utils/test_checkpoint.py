"""Safe loading of third-party checkpoints and the scoped allowlist for our own."""
from __future__ import annotations

import builtins
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from dart_dense.utils.checkpoint import load_checkpoint_file, mmengine_checkpoint_globals


class _Payload:
    """Pickles to a call of ``exec`` that creates a marker file when unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return builtins.exec, (f'open({str(self.marker)!r}, "w").close()',)


def _save_malicious(path: Path, marker: Path) -> Path:
    torch.save({'state_dict': {'w': torch.zeros(2)}, 'meta': _Payload(marker)}, path)
    return path


def test_malicious_pickle_is_refused_and_not_executed(tmp_path: Path) -> None:
    # Control: the payload really runs under an unsafe load, so the check below can fail.
    control_marker = tmp_path / 'control_marker'
    torch.load(_save_malicious(tmp_path / 'control.pth', control_marker), weights_only=False)
    assert control_marker.exists()

    marker = tmp_path / 'marker'
    ckpt = _save_malicious(tmp_path / 'evil.pth', marker)
    with pytest.raises(ValueError) as info:
        load_checkpoint_file(ckpt)
    message = str(info.value)
    assert str(ckpt) in message
    assert 'not a plain tensor checkpoint' in message
    assert 'exec' in message  # torch's reason (the refused global) is kept
    assert isinstance(info.value.__cause__, pickle.UnpicklingError)
    assert not marker.exists()


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / 'nowhere' / 'weights.pth'
    with pytest.raises(FileNotFoundError, match='nowhere/weights.pth'):
        load_checkpoint_file(missing)


def test_plain_state_dict_loads(tmp_path: Path) -> None:
    state = {'proj.weight': torch.randn(4, 3), 'proj.bias': torch.randn(4)}
    torch.save(state, tmp_path / 'plain.pth')
    loaded = load_checkpoint_file(str(tmp_path / 'plain.pth'))
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        torch.testing.assert_close(loaded[key], value)
        assert loaded[key].device.type == 'cpu'


def test_numpy_meta_loads(tmp_path: Path) -> None:
    """Numpy data in ``meta`` (common in model zoos) loads; torch's default loader refuses it."""
    ckpt = {'state_dict': {'w': torch.ones(1)},
            'meta': {'epoch': np.int64(3), 'hist': np.arange(4.0), 'dt': np.dtype('float32')}}
    torch.save(ckpt, tmp_path / 'np.pth')
    with pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / 'np.pth', weights_only=True)
    loaded = load_checkpoint_file(tmp_path / 'np.pth')
    assert loaded['meta']['epoch'] == 3
    np.testing.assert_array_equal(loaded['meta']['hist'], np.arange(4.0))
    assert loaded['meta']['dt'] == np.dtype('float32')


def test_non_dict_checkpoint_is_rejected(tmp_path: Path) -> None:
    torch.save([torch.ones(1)], tmp_path / 'list.pth')
    with pytest.raises(ValueError, match='holds a list, expected a dict'):
        load_checkpoint_file(tmp_path / 'list.pth')


def test_mmengine_globals_are_scoped(tmp_path: Path) -> None:
    """A message-hub HistoryBuffer loads inside the context only, and still weights_only."""
    from mmengine.logging import HistoryBuffer

    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(0.25)
    torch.save({'meta': {'message_hub': {'log_scalars': {'loss': buffer}}}}, tmp_path / 'own.pth')
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        torch.load(tmp_path / 'own.pth', weights_only=True)
    with mmengine_checkpoint_globals():
        loaded = torch.load(tmp_path / 'own.pth', weights_only=True)
    restored = loaded['meta']['message_hub']['log_scalars']['loss']
    assert restored.current() == pytest.approx(0.25)
    assert restored.mean() == pytest.approx(0.375)
    with pytest.raises(pickle.UnpicklingError):  # the allowlist did not leak out of the scope
        torch.load(tmp_path / 'own.pth', weights_only=True)

    marker = tmp_path / 'marker'
    _save_malicious(tmp_path / 'evil.pth', marker)
    with mmengine_checkpoint_globals(), pytest.raises(pickle.UnpicklingError):
        torch.load(tmp_path / 'evil.pth', weights_only=True)
    assert not marker.exists()


class _Lookup:
    """Pickles to ``getattr(owner, name)``, the way HistoryBuffer's methods are pickled."""

    def __init__(self, owner: object, name: str) -> None:
        self.owner, self.name = owner, name

    def __reduce__(self) -> tuple:
        return getattr, (self.owner, self.name)


@pytest.mark.parametrize('owner, name', [('HistoryBuffer', '__init__'), ('ndarray', 'tofile')])
def test_mmengine_globals_allow_no_other_getattr(tmp_path: Path, owner: str, name: str) -> None:
    """Only HistoryBuffer's statistics methods may be looked up, nothing else."""
    from mmengine.logging import HistoryBuffer

    owners = {'HistoryBuffer': HistoryBuffer, 'ndarray': np.ndarray}
    torch.save({'meta': _Lookup(owners[owner], 'mean')}, tmp_path / 'ok.pth')
    torch.save({'meta': _Lookup(owners[owner], name)}, tmp_path / 'bad.pth')
    with mmengine_checkpoint_globals():
        if owner == 'HistoryBuffer':
            assert torch.load(tmp_path / 'ok.pth', weights_only=True)['meta'] is HistoryBuffer.mean
        with pytest.raises(pickle.UnpicklingError, match='refused getattr'):
            torch.load(tmp_path / 'bad.pth', weights_only=True)
