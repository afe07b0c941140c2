"""Checkpoint loading under torch>=2.6's ``weights_only`` unpickler.

Two routes, on purpose different (see ENVIRONMENT.md, item 3):

* **Third-party / pretrained weights** (:func:`load_checkpoint_file`): always
  ``torch.load(..., weights_only=True)``. Tensors, containers, numbers and strings load (plus
  numpy arrays and scalars, which hold data only); anything else (a pickled callable, an
  arbitrary class) is refused with an error naming the file, never executed.
* **Resuming our own runs** (:func:`mmengine_checkpoint_globals`): mmengine 0.10.7 stores
  ``HistoryBuffer`` objects (with numpy arrays inside) in ``meta['message_hub']``, which the
  default ``torch.load`` of torch>=2.6 refuses. Instead of turning pickle safety off
  (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``, which would affect every load), the entry points allow
  exactly those data-only types for the duration of the run, so even a resumed checkpoint cannot
  run code.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    'load_checkpoint_file',
    'numpy_safe_globals',
    'mmengine_safe_globals',
    'mmengine_checkpoint_globals',
]


def numpy_safe_globals() -> list[Any]:
    """Numpy types that (un)pickle plain arrays, scalars and dtypes: data, no code.

    Object arrays are excluded (``ObjectDType``): their items would be arbitrary objects.

    Returns:
        list: callables/classes to pass to ``torch.serialization.safe_globals``.
    """
    # numpy 2 moved the pickling helpers to numpy._core; numpy 1 keeps them in numpy.core.
    multiarray = getattr(np, '_core', None) or np.core
    dtype_classes = [
        cls for name, cls in vars(np.dtypes).items()
        if name.endswith('DType') and isinstance(cls, type) and cls is not np.dtypes.ObjectDType
    ]
    return [
        multiarray.multiarray._reconstruct,
        multiarray.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


# HistoryBuffer's built-in statistics (mmengine.logging.history_buffer).
_HISTORY_BUFFER_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``getattr`` while unpickling: returns ``HistoryBuffer.<statistic>`` only.

    A pickled ``HistoryBuffer`` carries its statistics methods, which pickle protocol 2 writes
    as ``getattr(HistoryBuffer, 'mean')``. Allowing the real ``getattr`` would let a checkpoint
    reach any attribute of any allowed object (e.g. a function's ``__globals__``).

    Raises:
        pickle.UnpicklingError: for any other object or attribute name.
    """
    from mmengine.logging import HistoryBuffer

    allowed = _HISTORY_BUFFER_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed and callable(vars(HistoryBuffer).get(name)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refused getattr({obj!r}, {name!r}) in a checkpoint: only the statistics methods of '
        'mmengine.logging.HistoryBuffer may be looked up')


def mmengine_safe_globals() -> list[Any]:
    """Globals an mmengine 0.10 training checkpoint needs besides tensors and builtins.

    Returns:
        list: numpy data types, ``mmengine.logging.HistoryBuffer`` (the message hub's scalar
        history) and, under the name ``builtins.getattr``, :func:`_history_buffer_getattr`,
        which resolves only HistoryBuffer's statistics methods.
    """
    from mmengine.logging import HistoryBuffer

    return [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *numpy_safe_globals()]


@contextlib.contextmanager
def mmengine_checkpoint_globals() -> Iterator[None]:
    """Lets ``torch.load``'s weights-only unpickler read mmengine checkpoints, temporarily.

    Wrap ``runner.train()`` / ``runner.test()`` in it so that ``--resume`` and ``load_from`` of
    our own checkpoints work under torch>=2.6 while every load stays ``weights_only``. Should a
    hook store another type in its checkpoint, torch's error names it; add it here.

    Yields:
        None
    """
    with torch.serialization.safe_globals(mmengine_safe_globals()):
        yield


def _unpickler_reason(err: BaseException) -> str:
    """The one informative sentence of torch's long weights-only error (the refused global)."""
    match = re.search(r'WeightsUnpickler error: (.*?\.)(?:\s|$)', str(err))
    return f'Reason: {match.group(1)}' if match else f'Reason: {type(err).__name__}.'


def load_checkpoint_file(
    path: str | os.PathLike,
    map_location: str | torch.device | None = 'cpu',
) -> dict[str, Any]:
    """Loads a third-party (e.g. pretrained) checkpoint safely, tensors and plain data only.

    Args:
        path: the checkpoint file (``.pth``/``.pt``/``.bin`` written by ``torch.save``).
        map_location: passed to ``torch.load``. Defaults to ``'cpu'``.

    Returns:
        dict: the checkpoint as saved (a state dict, or a dict such as
        ``{'model': state_dict, ...}``; layout conversion is the caller's job).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file holds pickled objects the safe loader refuses (they are not
            executed), or its top level is not a dict.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {str(path)!r}')
    try:
        with torch.serialization.safe_globals(numpy_safe_globals()):
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f'refused to load checkpoint {str(path)!r}: it is not a plain tensor checkpoint '
            '(it contains pickled objects that torch.load(weights_only=True) does not allow; '
            f'nothing in it was executed). {_unpickler_reason(err)}') from err
    if not isinstance(checkpoint, dict):
        raise ValueError(
            f'checkpoint {str(path)!r} holds a {type(checkpoint).__name__}, expected a dict '
            '(a state dict or a checkpoint dict)')
    return checkpoint
