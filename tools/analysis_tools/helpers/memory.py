"""Peak memory of one call: the resident set on CPU (Linux ``/proc``), torch's caching
allocator on CUDA.

Hand-written for CPU: neither torch nor mmengine reports a process's peak resident set within
one call (``torch.profiler``'s memory view counts tensors only, not allocator slack).
"""
from __future__ import annotations

import gc
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

# glibc keeps freed blocks below its (dynamic) mmap threshold in the heap, and then the
# resident set no longer tracks live tensors. A fixed threshold returns every freed block of
# >= 128 KiB to the OS at once; set it in the environment of a *fresh* process that measures
# memory (it slows allocation a little, so timings are taken elsewhere).
MALLOC_ENV = {'MALLOC_MMAP_THRESHOLD_': '131072', 'MALLOC_TRIM_THRESHOLD_': '131072'}


def _status_kib(field: str) -> int:
    """One ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``)."""
    text = Path('/proc/self/status').read_text()
    match = re.search(rf'^{field}:\s+(\d+) kB', text, re.M)
    if match is None:
        raise RuntimeError(f'/proc/self/status has no {field} line')
    return int(match.group(1))


def cpu_peak_memory(fn: Callable[[], Any]) -> int:
    """Peak resident-set increase (bytes) while ``fn`` runs (Linux).

    The kernel's high-water mark (VmHWM) is reset through ``/proc/self/clear_refs`` right
    before the call; the result is that mark minus the resident set just before. It counts
    every byte the process touched at the peak (activations, temporaries, gradients, allocator
    slack), not only tensors; run it in a process started with :data:`MALLOC_ENV` so freed
    memory is returned to the OS and earlier steps do not hide behind cached blocks.
    """
    gc.collect()
    before = _status_kib('VmRSS')
    try:
        Path('/proc/self/clear_refs').write_text('5')
    except OSError as err:  # not Linux, or not permitted: no honest peak available
        raise RuntimeError(f'cannot reset the peak RSS (/proc/self/clear_refs): {err}') from err
    fn()
    return max(_status_kib('VmHWM') - before, 0) * 1024


def cuda_peak_memory(fn: Callable[[], Any], device: str | torch.device) -> int:
    """Peak bytes allocated by torch's CUDA allocator during ``fn``, above the level before."""
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def peak_memory(fn: Callable[[], Any], device: str | torch.device = 'cpu') -> int:
    """Peak memory of one call in bytes: CUDA allocator on GPU, resident set on CPU."""
    if torch.device(device).type == 'cuda':
        return cuda_peak_memory(fn, device)
    return cpu_peak_memory(fn)
