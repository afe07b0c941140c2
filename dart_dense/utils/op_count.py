"""Count the aten operators a piece of code dispatches, and the ones that force a host sync.

On a GPU every operator is a kernel launch (~10-30 µs of host time) and every read of a tensor
value on the host (``.item()``, ``bool(t)``, a data-dependent output shape) stalls the stream
and breaks CUDA graphs and ``torch.compile(fullgraph=True)``. Both can be counted on CPU with a
``TorchDispatchMode``: the count is the CPU proxy for launch cost used by the tests and the
benchmarks (``mmengine.analysis`` counts FLOPs, not dispatches, hence this small module).
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# Operators whose result must reach the host before the next one can be issued: scalar reads,
# truth values, and outputs whose shape depends on tensor values.
SYNC_OPS = frozenset({
    'aten._local_scalar_dense', 'aten.item', 'aten.is_nonzero', 'aten.nonzero',
    'aten.equal', 'aten.masked_select', 'aten._unique', 'aten._unique2', 'aten.unique_dim',
    'aten.unique_consecutive', 'aten.unique_dim_consecutive', 'aten.bincount',
    'aten.histc',
})
_INDEX_OPS = frozenset({'aten.index', 'aten.index_put', 'aten.index_put_',
                        'aten._index_put_impl_'})


def _is_sync(name: str, func: Any, args: tuple, kwargs: dict) -> bool:
    if name in SYNC_OPS:
        return True
    if name == 'aten.repeat_interleave':  # a tensor of repeats: data-dependent output size
        return func._overloadname in ('Tensor', 'self_Tensor') \
            and kwargs.get('output_size') is None
    if name in _INDEX_OPS:  # boolean-mask indexing becomes a nonzero inside the kernel
        indices = args[1] if len(args) > 1 else kwargs.get('indices', ())
        return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool
                   for i in (indices or ()))
    return False


@dataclass
class OpCount:
    """Operators seen: ``total`` dispatches, ``syncs`` of them host-syncing; per-name counts."""
    total: int = 0
    syncs: int = 0
    by_name: Counter = field(default_factory=Counter)
    sync_ops: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        top = ', '.join(f'{k}={v}' for k, v in self.by_name.most_common(8))
        return f'{self.total} ops ({self.syncs} host syncs): {top}'


class OpCounter(TorchDispatchMode):
    """``with OpCounter() as counter: ...``, then ``counter.result`` (an :class:`OpCount`).

    Every aten call that reaches the dispatcher's Python key is counted once (a composite
    operator is counted as the operators it decomposes into, as a GPU would launch them).
    Views and metadata-only ops (``view``, ``expand``, ``t`` ...) are counted too: they launch
    nothing, but they cost host time in eager mode.
    """

    def __init__(self) -> None:
        super().__init__()
        self.result = OpCount()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = str(func.overloadpacket)
        self.result.total += 1
        self.result.by_name[name] += 1
        if _is_sync(name, func, args, kwargs):
            self.result.syncs += 1
            self.result.sync_ops[name] += 1
        return func(*args, **kwargs)


def count_ops(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> OpCount:
    """Run ``fn(*args, **kwargs)`` once under an :class:`OpCounter`; returns its counts."""
    with OpCounter() as counter:
        fn(*args, **kwargs)
    return counter.result
