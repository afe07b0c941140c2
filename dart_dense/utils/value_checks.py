"""Opt-in checks that read tensor values.

Reading a tensor's value on the host (``bool(t)``, ``.item()``) makes the host wait for the
device and breaks ``torch.compile(fullgraph=True)`` and CUDA graphs, so the per-step hot path
checks shapes and dtypes only. Checks of values (finite scores, valid sizes in range) run when
switched on: ``DART_DENSE_CHECK_VALUES=1`` in the environment, or ``with check_values(): ...``
while debugging.
"""
import os
from contextlib import contextmanager
from typing import Iterator

_enabled = os.environ.get('DART_DENSE_CHECK_VALUES', '0') not in ('', '0')


def value_checks_enabled() -> bool:
    """Whether the opt-in value checks run (see the module docstring)."""
    return _enabled


@contextmanager
def check_values(enabled: bool = True) -> Iterator[None]:
    """Switch the value checks on (or off) inside the ``with`` block."""
    global _enabled
    previous, _enabled = _enabled, enabled
    try:
        yield
    finally:
        _enabled = previous
