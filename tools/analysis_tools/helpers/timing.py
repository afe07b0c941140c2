"""Timing: interleaved (round-robin) timings of several functions, their summary, and the
machine state recorded next to them (load average, torch threads)."""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.benchmark import Measurement, TaskSpec


def synchronize(device: str | torch.device) -> None:
    """Wait for the device's queued work (a no-op on CPU)."""
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


# Hand-written: torch.utils.benchmark.Timer times one statement in blocks of runs, so a drift of
# the machine's load between blocks would land on one model only; here A B C A B C ..., with
# CUDA events around each call on a GPU.
def interleaved_times(fns: dict[str, Callable[[], Any]], repeat: int, warmup: int = 1,
                      device: str | torch.device = 'cpu') -> dict[str, list[float]]:
    """Seconds per call of every function, measured round-robin.

    Every function is warmed up ``warmup`` times, then the functions run in turn ``repeat``
    times (A B C A B C ...), so slow drifts of the machine's load hit all of them alike. On
    CUDA a call is timed with CUDA events around it (device time from the first launch to the
    end of the last kernel) after the stream has drained; elsewhere with the wall clock.

    Returns:
        name → ``repeat`` seconds, in the order measured.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError(f'repeat must be >= 1 and warmup >= 0, got {repeat}, {warmup}')
    cuda = torch.device(device).type == 'cuda'
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if cuda:
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                start.record()
                fn()
                end.record()
                end.synchronize()
                times[name].append(start.elapsed_time(end) / 1e3)
            else:
                start_s = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start_s)
    return times


def summarize(times: Sequence[float], label: str = '') -> dict[str, float]:
    """Median, min, max, interquartile range and count of a list of seconds.

    Median and IQR are those of ``torch.utils.benchmark.Measurement`` (numpy percentiles).
    """
    if not times:
        raise ValueError('summarize needs at least one time')
    measurement = Measurement(number_per_run=1, raw_times=list(times),
                              task_spec=TaskSpec(stmt=label, setup=''))
    return dict(median=float(measurement.median), min=min(times), max=max(times),
                iqr=float(measurement.iqr), n=len(times))


def load_average() -> tuple[float, float, float]:
    """The machine's 1/5/15-minute load averages (recorded next to every measurement)."""
    return os.getloadavg()


# Hand-written: torch offers only get/set_num_threads (Timer's num_threads applies to its own
# runs only), and the tools train or evaluate under a thread count.
@contextlib.contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run the block with ``num_threads`` torch intra-op threads, restoring the old count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
