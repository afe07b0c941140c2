"""tools/analysis_tools/benchmark.py and the shared helpers of dart_dense.utils.benchmarking."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from analysis_helpers import load_tool

from dart_dense.utils import benchmarking

benchmark = load_tool('benchmark')


def test_compare_writes_medians_and_ratios(tiny_configs, tmp_path, capsys) -> None:
    out = tmp_path / 'bench.json'
    benchmark.main([tiny_configs['dart'], '--compare', tiny_configs['grid'],
                    '--names', 'dart', 'grid', '--shape', '64', '64', '--repeat', '2',
                    '--warmup', '0', '--part', 'features', '--json', str(out)])
    report = json.loads(out.read_text())
    assert report['settings']['repeat'] == 2 and report['settings']['part'] == 'features'
    results = report['results']
    assert list(results) == ['dart', 'grid']
    for entry in results.values():
        assert len(entry['times_s']) == 2
        assert entry['latency_s']['median'] > 0
        assert entry['throughput'] == pytest.approx(1 / entry['latency_s']['median'])
    assert results['dart']['speedup'] == 1.0
    assert results['grid']['speedup'] == pytest.approx(
        results['dart']['latency_s']['median'] / results['grid']['latency_s']['median'])
    printed = capsys.readouterr().out
    assert 'dart:' in printed and 'vs first' in printed


def test_amp_compile_and_operator_counts(tiny_configs, tmp_path) -> None:
    """``--amp`` times under autocast; every config reports its aten operators and host syncs
    per eager forward (the DART backbone has none); ``--compile`` is parsed with or without a
    mode and recorded."""
    out = tmp_path / 'bench.json'
    benchmark.main([tiny_configs['dart'], '--compare', tiny_configs['grid'], '--names', 'dart',
                    'grid', '--shape', '64', '64', '--repeat', '1', '--warmup', '0', '--part',
                    'backbone', '--amp', 'bf16', '--json', str(out)])
    report = json.loads(out.read_text())
    assert report['settings']['amp'] == 'bf16' and report['settings']['compile'] is None
    dart, grid = report['results']['dart'], report['results']['grid']
    assert dart['host_syncs_per_forward'] == grid['host_syncs_per_forward'] == 0
    assert dart['ops_per_forward'] > grid['ops_per_forward'] > 100
    assert benchmark.parse_args(['c.py', '--compile']).compile == 'default'
    assert benchmark.parse_args(['c.py', '--compile', 'reduce-overhead']).compile == \
        'reduce-overhead'
    with pytest.raises(SystemExit):
        benchmark.parse_args(['c.py', '--amp', 'fp8'])


def test_interleaved_order() -> None:
    calls = []
    times = benchmarking.interleaved_times(
        {'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')}, repeat=2, warmup=1)
    assert calls == ['a', 'b', 'a', 'b', 'a', 'b']  # warm-up each, then round-robin
    assert [len(v) for v in times.values()] == [2, 2]


def test_config_spec_overrides_and_stock_config() -> None:
    path, overrides = benchmarking.parse_config_spec(
        'cfg.py@model.backbone.tokenizer.num_tokens=256@model.backbone.out_strides=(4,8)')
    assert path == 'cfg.py'
    assert overrides == {'model.backbone.tokenizer.num_tokens': 256,
                         'model.backbone.out_strides': (4, 8)}
    with pytest.raises(ValueError, match='KEY=VALUE'):
        benchmarking.parse_config_spec('cfg.py@oops')
    with pytest.raises(FileNotFoundError, match='not found'):
        benchmarking.load_config('no/such/config.py')
    # the stock peer: SyncBN and a pretrained path that must not be loaded
    cfg = benchmarking.load_config('mmseg::vit/vit_deit-s16_upernet_8xb2-160k_ade20k-512x512.py')
    assert benchmarking.infer_task(cfg) == 'seg'
    model_cfg = benchmarking.drop_pretrained(cfg.model.copy())
    assert model_cfg.pretrained is None


def test_cpu_peak_memory_sees_a_temporary(subprocess_env) -> None:
    # as benchmark.py measures: a fresh process with glibc returning freed blocks to the OS
    code = ('import torch\n'
            'from dart_dense.utils.benchmarking import cpu_peak_memory\n'
            'print(cpu_peak_memory(lambda: torch.ones(4 * 2 ** 20).add_(1)))\n')  # 16 MiB
    env = dict(subprocess_env, **benchmarking.MALLOC_ENV)
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True).stdout
    peak = int(out.strip().splitlines()[-1])
    assert 15 * 2 ** 20 <= peak < 100 * 2 ** 20
