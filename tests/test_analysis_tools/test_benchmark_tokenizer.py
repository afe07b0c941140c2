"""tools/analysis_tools/benchmark_tokenizer.py: parity of the vectorized tokenizer steps."""
from __future__ import annotations

import pytest
from analysis_helpers import load_tool

benchmark_tokenizer = load_tool('benchmark_tokenizer')


@pytest.mark.parametrize('num_tokens', [16, 7])
def test_vectorized_equals_loop_reference(num_tokens: int) -> None:
    diffs = benchmark_tokenizer.parity(size=64, batch_size=2, num_tokens=num_tokens)
    # float64: the vectorized partition, resampling and re-binning are the loop's numbers
    for key in ('patches', 'pos', 'row_edges', 'token_edges'):
        assert diffs[f'{key}_max_abs_diff'] < 1e-9, (key, diffs)
    if 'mmcv_vs_torch_max_abs_diff' in diffs:  # mmcv with compiled ops
        assert diffs['mmcv_vs_torch_max_abs_diff'] < 3e-4


def test_scorer_specs() -> None:
    assert benchmark_tokenizer.scorer_cfg('mnv3l@0.5') == dict(
        type='MobileNetV3Scorer', arch='large', input_scale=0.5)
    assert benchmark_tokenizer.scorer_cfg('grad')['input_scale'] == 1.0
    with pytest.raises(ValueError, match='type must be one of'):
        benchmark_tokenizer.scorer_cfg('resnet@1')
