"""tools/analysis_tools/benchmark.py and the shared helpers in tools/analysis_tools/helpers."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from analysis_helpers import REPO_ROOT, load_tool
from torch import nn

from tools.analysis_tools import helpers

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
    times = helpers.interleaved_times(
        {'a': lambda: calls.append('a'), 'b': lambda: calls.append('b')}, repeat=2, warmup=1)
    assert calls == ['a', 'b', 'a', 'b', 'a', 'b']  # warm-up each, then round-robin
    assert [len(v) for v in times.values()] == [2, 2]


def test_summary_statistics() -> None:
    """Median and IQR as torch.utils.benchmark computes them (numpy's linear percentiles)."""
    stats = helpers.summarize([0.3, 0.1, 0.2, 0.5])
    assert stats == pytest.approx(dict(median=0.25, min=0.1, max=0.5, iqr=0.35 - 0.175, n=4))
    assert helpers.summarize([2.0]) == dict(median=2.0, min=2.0, max=2.0, iqr=0.0, n=1)
    with pytest.raises(ValueError, match='at least one'):
        helpers.summarize([])


def test_config_spec_overrides_and_stock_config() -> None:
    path, overrides = helpers.parse_config_spec(
        'cfg.py@model.backbone.tokenizer.num_tokens=256@model.backbone.out_strides=(4,8)')
    assert path == 'cfg.py'
    assert overrides == {'model.backbone.tokenizer.num_tokens': 256,
                         'model.backbone.out_strides': (4, 8)}
    with pytest.raises(ValueError, match='KEY=VALUE'):
        helpers.parse_config_spec('cfg.py@oops')
    with pytest.raises(FileNotFoundError, match='not found'):
        helpers.load_config('no/such/config.py')
    # the stock peer: SyncBN and a pretrained path that must not be loaded
    cfg = helpers.load_config('mmseg::vit/vit_deit-s16_upernet_8xb2-160k_ade20k-512x512.py')
    assert helpers.infer_task(cfg) == 'seg'
    model_cfg = helpers.drop_pretrained(cfg.model.copy())
    assert model_cfg.pretrained is None


def test_built_models_are_seeded_and_leave_the_global_rng_alone(tiny_configs) -> None:
    """The same weights every build (reproducible figures), the caller's random stream intact;
    the measurement build drops the auxiliary head and is in eval mode."""
    cfg = helpers.load_config(tiny_configs['dart'])
    state = torch.random.get_rng_state()
    first, second = helpers.build_model(cfg), helpers.build_model(cfg)
    assert torch.equal(torch.random.get_rng_state(), state)
    weights = first.state_dict()
    assert all(torch.equal(weights[k], v) for k, v in second.state_dict().items())
    assert not first.training and not first.with_auxiliary_head
    other = helpers.build_model(cfg, seed=1).state_dict()
    assert not all(torch.equal(weights[k], v) for k, v in other.items())


def test_detection_ground_truth_masks_fill_the_boxes() -> None:
    class Detector(nn.Module):  # what det_num_classes reads
        def __init__(self) -> None:
            super().__init__()
            self.bbox_head = nn.Module()
            self.bbox_head.num_classes = 5

    inputs, samples = helpers.make_batch(Detector(), 'det', (40, 60), 2, with_gt=True)
    assert inputs.shape == (2, 3, 40, 60) and len(samples) == 2
    for sample in samples:
        gt = sample.gt_instances
        assert gt.bboxes.shape == (3, 4) and ((gt.labels >= 0) & (gt.labels < 5)).all()
        masks = torch.from_numpy(gt.masks.masks).bool()  # (3, H, W)
        for box, mask in zip(gt.bboxes.long(), masks):
            x1, y1, x2, y2 = box.tolist()
            expected = torch.zeros(40, 60, dtype=torch.bool)
            expected[y1:y2, x1:x2] = True
            assert torch.equal(mask, expected)
    # the same seed gives the same batch: every model of a comparison sees the same input
    again, _ = helpers.make_batch(Detector(), 'det', (40, 60), 2, with_gt=True)
    assert torch.equal(inputs, again)


def test_count_params_counts_shared_weights_once() -> None:
    linear = nn.Linear(3, 4)
    assert helpers.count_params(nn.ModuleList([linear, linear])) == 16


def test_write_json_creates_the_directory(tmp_path) -> None:
    path = tmp_path / 'new' / 'report.json'
    helpers.write_json(path, dict(shape=(2, 3), median=0.5))
    assert path.read_text() == json.dumps(dict(shape=[2, 3], median=0.5), indent=1)


def test_cpu_peak_memory_sees_a_temporary(subprocess_env) -> None:
    # as benchmark.py measures: a fresh process with glibc returning freed blocks to the OS
    code = ('import torch\n'
            'from tools.analysis_tools.helpers.memory import cpu_peak_memory\n'
            'print(cpu_peak_memory(lambda: torch.ones(4 * 2 ** 20).add_(1)))\n')  # 16 MiB
    env = dict(subprocess_env, **helpers.MALLOC_ENV)
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True).stdout
    peak = int(out.strip().splitlines()[-1])
    assert 15 * 2 ** 20 <= peak < 100 * 2 ** 20


def test_tools_run_as_scripts_from_any_directory(subprocess_env, tmp_path) -> None:
    """``python tools/analysis_tools/X.py`` finds the helpers without PYTHONPATH, from any cwd."""
    env = {k: v for k, v in subprocess_env.items() if k != 'PYTHONPATH'}
    for tool in ('benchmark', 'get_flops'):
        proc = subprocess.run(
            [sys.executable, str(REPO_ROOT / 'tools' / 'analysis_tools' / f'{tool}.py'),
             '--help'], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert '--shape' in proc.stdout
