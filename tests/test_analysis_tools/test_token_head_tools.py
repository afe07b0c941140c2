"""The analysis tools on token-head (TokenMaskTransformerHead) models: FLOPs, the interleaved
benchmark, the evidence study's ``dart_N_token`` variant and the test-time budget curve."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import load_tool

get_flops = load_tool('get_flops')
benchmark = load_tool('benchmark')
evidence_study = load_tool('evidence_study')
budget_curve = load_tool('budget_curve')

# analysis_helpers' tiny DART UperNet config (2 blocks, 32 wide, 64x64, 16 tokens) with the
# token head of configs/_base_/models/segmenter_dart.py instead of the pyramid and UperNet
TINY_SEGMENTER = """
_base_ = ['./tiny_dart.py']
custom_imports = dict(imports=['dart_dense.models', 'dart_dense.models.decode_heads'],
                      allow_failed_imports=False)
model = dict(
    backbone=dict(out_indices=(1, ), out_type='tokens', out_strides=16),
    neck=None,
    decode_head=dict(_delete_=True, type='TokenMaskTransformerHead', in_channels=32,
                     channels=32, num_layers=1, num_heads=2, embed_dims=16, num_classes=4),
    auxiliary_head=None)
"""


@pytest.fixture(scope='module')
def tiny_segmenter(tiny_configs: dict[str, str]) -> str:
    path = Path(tiny_configs['dart']).parent / 'tiny_segmenter.py'
    path.write_text(TINY_SEGMENTER)
    return str(path)


def test_flops_count_the_head_and_no_stride4_pyramid(tiny_segmenter, tiny_configs) -> None:
    token = get_flops.complexity(tiny_segmenter, (64, 64))
    upernet = get_flops.complexity(tiny_configs['dart'], (64, 64))
    head = token['analyzer'].by_module()['model.decode_head']
    # the head's two linear projections of the 16 tokens alone are 16 * 32 * 16 multiply-adds
    assert head >= 16 * 32 * 16
    assert token['by_kind'].get('adapter', 0) == 0  # no neck
    assert token['flops'] < upernet['flops']
    assert 'aten::scaled_dot_product_attention' not in token['unsupported']


def test_benchmark_runs_the_token_head_model(tiny_segmenter, tiny_configs, tmp_path) -> None:
    out = tmp_path / 'bench.json'
    benchmark.main([tiny_segmenter, '--compare', tiny_configs['dart'], '--names', 'token',
                    'upernet', '--shape', '64', '64', '--repeat', '1', '--warmup', '0',
                    '--part', 'model', '--json', str(out)])
    results = json.loads(out.read_text())['results']
    assert list(results) == ['token', 'upernet']
    assert all(r['latency_s']['median'] > 0 for r in results.values())


def test_evidence_variant_changes_only_the_head() -> None:
    token = evidence_study.variant_config('dart_N_token').model
    dart = evidence_study.variant_config('dart_N').model
    assert token.decode_head.type == 'TokenSegformerHead'
    assert token.backbone.out_type == 'tokens'
    assert token.backbone.out_indices == dart.backbone.out_indices
    for key in ('in_index', 'in_channels', 'channels', 'norm_cfg'):  # dart_N's own decoder
        assert token.decode_head[key] == dart.decode_head[key], key
    assert token.backbone.tokenizer == dart.backbone.tokenizer
    assert token.decode_head.loss_decode == dart.decode_head.loss_decode
    for key in ('data_preprocessor', 'test_cfg'):
        assert token[key] == dart[key]
    assert evidence_study.describe_tokens(evidence_study.variant_config('dart_N_token')) == \
        '100 (adaptive, p=14), token head'


def test_budget_curve_on_a_token_head_model(tmp_path: Path) -> None:
    report = evidence_study.main([
        '--smoke', '--seeds', '0', '--variants', 'dart_N_token',
        '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work')])
    run = report['runs'][0]
    assert run['variant'] == 'dart_N_token' and 0 <= run['metrics']['mIoU'] <= 100
    config = str(Path(run['checkpoint']).parent / 'config.py')
    results = budget_curve.main([
        config, run['checkpoint'], '--budgets', '100', '36', '--plot',
        str(tmp_path / 'curve.png'), '--json', str(tmp_path / 'curve.json'),
        '--work-dir', str(tmp_path / 'curve')])
    assert [r['num_tokens'] for r in results] == [36, 100]
    assert all(0 <= r['metrics']['mIoU'] <= 100 for r in results)
    assert json.loads((tmp_path / 'curve.json').read_text())['trained_budget'] == 100


def test_token_oracle_is_exact_for_one_pixel_tokens(tmp_path: Path) -> None:
    from dart_dense.datasets import generate_ade20k_demo

    token_oracle = load_tool('token_oracle')
    root = generate_ade20k_demo(tmp_path / 'demo', num_train=1, num_val=2, size=64, seed=0)
    # 1 px tokens rendered at stride 1: every pixel keeps its own label
    exact = token_oracle.oracle_miou(root, 'grid@1', stride=1)
    assert exact['images'] == 2 and exact['mIoU'] == pytest.approx(100.0)
    coarse = token_oracle.oracle_miou(root, 'dart@16', stride=4)
    assert 0 < coarse['mIoU'] < 100
    with pytest.raises(SystemExit):
        token_oracle.parse_args(['--tokenizers', 'dart@x'])
