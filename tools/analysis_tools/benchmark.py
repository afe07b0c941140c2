"""Inference throughput, latency and peak memory of one or several configs, interleaved.

    python tools/analysis_tools/benchmark.py CONFIG [--compare CONFIG2 ...] [--names N1 N2 ...]
        [--shape H W | --shape T H W] [--batch-size B] [--part backbone|features|model]
        [--repeat N] [--warmup W] [--memory] [--train-memory [--train-batch-size 2]]
        [--json OUT] [--device cpu|cuda] [--amp bf16|fp16] [--compile [MODE]]
        [--cfg-options KEY=VALUE ...]

Configs are our files, stock ones (``mmseg::vit/vit_vit-b16_mln_upernet_8xb2-160k_ade20k-
512x512.py``: SyncBN is reverted to BN and ``pretrained``/``init_cfg`` dropped, nothing is
loaded) or variants ``CONFIG@KEY=VALUE@KEY=VALUE``. All models are built in one process and
timed round-robin (A B C A B C ...) on the same random, already normalized batch (the data
preprocessor is not run), so a drift of the machine's load hits all alike; the tool prints each
one's median and its throughput relative to the first config.

Parts: ``backbone``; ``features`` = backbone + neck (the ViT adapter); ``model`` = the whole
network in ``mode='tensor'`` (no post-processing; a segmentor's auxiliary head is dropped).

``--amp`` runs the timed forwards under ``torch.autocast`` with that dtype; ``--compile``
times ``torch.compile(forward, mode=MODE)`` (after its warm-up compilations). On CUDA every call
is timed with CUDA events. Each config also reports the aten operators and host syncs of one
eager forward (``dart_dense.utils.op_count``): on a GPU every operator is a kernel launch, so
the count predicts the launch-bound part of the eager time, measurable on any machine.

Memory (``--memory``: one inference forward; ``--train-memory``: one training forward+backward
in ``mode='loss'`` with random ground truth, auxiliary heads kept, parameter gradients
included, no optimizer state). On CPU each config is measured in a fresh subprocess as the peak
increase of the resident set (VmHWM, reset through ``/proc/self/clear_refs``) over the resident
set before the step, with glibc told to return freed blocks of >= 128 KiB to the OS (so it
follows live tensors; see ``tools/analysis_tools/helpers/memory.py``). On GPU it is
``torch.cuda.max_memory_allocated`` above the level before the step.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout

import dart_dense  # noqa: E402,F401  (compat shims first)
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from dart_dense.utils.op_count import count_ops  # noqa: E402
from tools.analysis_tools.helpers import (DEFAULT_SHAPES, MALLOC_ENV, PARTS,  # noqa: E402
                                          SHAPE_HELP, build_model, check_shape, count_params,
                                          infer_task, interleaved_times, load_average,
                                          load_config, loss_backward, make_batch, part_forward,
                                          peak_memory, summarize, write_json)

MIB = 2 ** 20
AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}


def autocast(device: str, amp: str | None) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``--amp``, or a no-op context."""
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=AMP_DTYPES[amp])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Interleaved speed/memory benchmark')
    parser.add_argument('config', help='config file, SCOPE::path, optionally @KEY=VALUE...')
    parser.add_argument('--compare', nargs='+', default=[], metavar='CONFIG',
                        help='more configs, timed interleaved with the first')
    parser.add_argument('--names', nargs='+', help='one label per config (default: the spec)')
    parser.add_argument('--shape', type=int, nargs='+', help=SHAPE_HELP)
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--part', choices=PARTS, default='model')
    parser.add_argument('--repeat', type=int, default=10, help='timed runs per config')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs per config')
    parser.add_argument('--memory', action='store_true', help='peak memory of one inference')
    parser.add_argument('--train-memory', action='store_true',
                        help='peak memory of one training forward+backward')
    parser.add_argument('--train-batch-size', type=int, default=2)
    parser.add_argument('--no-timing', action='store_true', help='memory only')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int,
                        help='torch intra-op threads (default: torch\'s, one per core)')
    parser.add_argument('--amp', choices=tuple(AMP_DTYPES),
                        help='time the forwards under torch.autocast with this dtype')
    parser.add_argument('--compile', nargs='?', const='default', metavar='MODE',
                        help='time torch.compile(forward, mode=MODE) (default, '
                             'reduce-overhead, max-autotune, ...)')
    parser.add_argument('--json', help='write the figures to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides applied to every config (KEY=VALUE)')
    parser.add_argument('--memory-worker', choices=('infer', 'train'), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.shape = check_shape(args.shape)
    except ValueError as err:
        parser.error(str(err))
    args.configs = [args.config] + list(args.compare)
    if args.names is not None and len(args.names) != len(args.configs):
        parser.error(f'--names needs {len(args.configs)} labels, got {len(args.names)}')
    args.names = args.names or args.configs
    if args.repeat < 1 or args.warmup < 0 or args.batch_size < 1:
        parser.error('--repeat and --batch-size must be >= 1, --warmup >= 0')
    return args


def _shape(task: str, shape: list[int] | None) -> tuple[int, ...]:
    return tuple(shape) if shape else DEFAULT_SHAPES[task]


def measure_memory(spec: str, mode: str, args: argparse.Namespace) -> int:
    """Peak memory (bytes) of one inference (``mode='infer'``) or training step, in this
    process: build, one warm-up step, then the measured step."""
    cfg = load_config(spec, args.cfg_options)
    task = infer_task(cfg)
    model = build_model(cfg, args.device, keep_auxiliary=(mode == 'train'))
    shape = _shape(task, args.shape)
    if mode == 'infer':
        inputs, samples = make_batch(model, task, shape, args.batch_size, args.device)
        fn = part_forward(model, task, args.part)

        def step() -> None:
            with torch.no_grad():
                fn(inputs, samples)
    else:
        model.train()
        inputs, samples = make_batch(model, task, shape, args.train_batch_size, args.device,
                                     with_gt=True)

        def step() -> None:
            loss_backward(model, inputs, samples)
            model.zero_grad(set_to_none=True)  # the next step allocates its gradients again
    step()
    return peak_memory(step, args.device)


def memory_in_subprocess(spec: str, mode: str, args: argparse.Namespace) -> int:
    """Run :func:`measure_memory` in a fresh process with glibc's fixed mmap threshold."""
    cmd = [sys.executable, __file__, spec, '--memory-worker', mode, '--part', args.part,
           '--batch-size', str(args.batch_size),
           '--train-batch-size', str(args.train_batch_size), '--device', args.device]
    if args.shape:
        cmd += ['--shape', *map(str, args.shape)]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    if args.cfg_options:
        cmd += ['--cfg-options', *(f'{k}={_cli_value(v)}' for k, v in args.cfg_options.items())]
    env = dict(os.environ, **MALLOC_ENV)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f'memory measurement of {spec} failed:\n{proc.stderr[-3000:]}')
    return int(json.loads(proc.stdout.strip().splitlines()[-1])['peak_bytes'])


def _cli_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        inner = ','.join(_cli_value(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    return str(value)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build every config, time them interleaved, measure memory; returns the figures."""
    results: dict[str, dict[str, Any]] = {}
    fns = {}
    load_before = load_average()
    for name, spec in zip(args.names, args.configs):
        cfg = load_config(spec, args.cfg_options)
        task = infer_task(cfg)
        shape = _shape(task, args.shape)
        entry: dict[str, Any] = dict(config=spec, task=task, shape=list(shape))
        if not args.no_timing:
            model = build_model(cfg, args.device)
            inputs, samples = make_batch(model, task, shape, args.batch_size, args.device)
            eager = part_forward(model, task, args.part)
            entry['params'] = count_params(model if args.part == 'model' else model.backbone)

            def call(fn=eager, inputs=inputs, samples=samples) -> None:
                with torch.no_grad(), autocast(args.device, args.amp):
                    fn(inputs, samples)
            ops = count_ops(call)
            entry.update(ops_per_forward=ops.total, host_syncs_per_forward=ops.syncs)
            if args.compile:
                mode = None if args.compile == 'default' else args.compile
                call = functools.partial(call, fn=torch.compile(eager, mode=mode))
            fns[name] = call
        results[name] = entry

    if fns:
        times = interleaved_times(fns, args.repeat, args.warmup, args.device)
        first = summarize(times[args.names[0]])['median']
        for name, seconds in times.items():
            stats = summarize(seconds)
            results[name].update(
                latency_s=stats, times_s=seconds,
                throughput=args.batch_size / stats['median'],
                speedup=first / stats['median'])

    for name, spec in zip(args.names, args.configs):
        for flag, mode in ((args.memory, 'infer'), (args.train_memory, 'train')):
            if not flag:
                continue
            key = 'peak_memory_mib' if mode == 'infer' else 'train_peak_memory_mib'
            peak = (measure_memory(spec, mode, args) if args.device != 'cpu'
                    else memory_in_subprocess(spec, mode, args))
            results[name][key] = peak / MIB

    return dict(
        settings=dict(part=args.part, batch_size=args.batch_size, repeat=args.repeat,
                      warmup=args.warmup, device=args.device, amp=args.amp,
                      compile=args.compile,
                      train_batch_size=args.train_batch_size,
                      torch_threads=torch.get_num_threads(), torch=torch.__version__,
                      load_average_before=load_before, load_average_after=load_average()),
        results=results)


def print_table(report: dict[str, Any]) -> None:
    settings = report['settings']
    print(f'part={settings["part"]} batch={settings["batch_size"]} '
          f'repeat={settings["repeat"]} device={settings["device"]} '
          f'amp={settings["amp"]} compile={settings["compile"]} '
          f'threads={settings["torch_threads"]} load avg before/after='
          f'{settings["load_average_before"][0]:.2f}/{settings["load_average_after"][0]:.2f}')
    for name, entry in report['results'].items():
        parts = [f'{name}:']
        if 'latency_s' in entry:
            lat = entry['latency_s']
            parts.append(f'median {lat["median"] * 1e3:.1f} ms/batch '
                         f'(IQR {lat["iqr"] * 1e3:.1f}), {entry["throughput"]:.2f} img/s, '
                         f'x{entry["speedup"]:.2f} vs first')
        if 'ops_per_forward' in entry:
            parts.append(f'{entry["ops_per_forward"]} aten ops '
                         f'({entry["host_syncs_per_forward"]} host syncs) per eager forward')
        if 'peak_memory_mib' in entry:
            parts.append(f'peak mem {entry["peak_memory_mib"]:.0f} MiB')
        if 'train_peak_memory_mib' in entry:
            parts.append(f'train peak mem (batch {settings["train_batch_size"]}) '
                         f'{entry["train_peak_memory_mib"]:.0f} MiB')
        print(' '.join(parts))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_worker:  # child of memory_in_subprocess: one figure as JSON
        print(json.dumps(dict(peak_bytes=measure_memory(args.config, args.memory_worker, args))))
        return {}
    report = run(args)
    print_table(report)
    if args.json:
        write_json(args.json, report)
    return report


if __name__ == '__main__':
    main()
