"""tools/analysis_tools/get_flops.py: the two output lines, and what it counts."""
from __future__ import annotations

import pytest
from analysis_helpers import REPO_ROOT, load_tool

get_flops = load_tool('get_flops')


def test_prints_flops_and_params_lines(tiny_configs, capsys) -> None:
    get_flops.main([tiny_configs['dart'], '--shape', '64', '64', '--breakdown', '--depth', '3'])
    out = capsys.readouterr().out
    flops = [line for line in out.splitlines() if line.startswith('Flops: ')]
    params = [line for line in out.splitlines() if line.startswith('Params: ')]
    assert len(flops) == 1 and flops[0].endswith(' GFLOPs')
    assert len(params) == 1 and params[0].endswith(' M')
    assert float(flops[0].split()[1]) > 0 and float(params[0].split()[1]) > 0
    assert 'backbone.tokenizer.scorer' in out  # the per-module table


def test_counts_scorer_projection_and_attention(tiny_configs) -> None:
    dart = get_flops.complexity(tiny_configs['dart'], (64, 64))
    grid = get_flops.complexity(tiny_configs['grid'], (64, 64))
    # same 16 tokens and blocks: DART costs the grid's FLOPs plus its scorer (and re-binning)
    assert dart['by_kind']['scorer'] > 0
    assert dart['flops'] - grid['flops'] >= dart['by_kind']['scorer']
    # the patch projection is an F.linear on resampled patches: N * (3 * p * p) * C counted
    projection = 16 * 3 * 16 * 16 * 32
    assert dart['by_kind']['tokenizer'] >= dart['by_kind']['scorer'] + projection
    # fused attention (timm's scaled_dot_product_attention) has a handle: not "unsupported"
    assert 'aten::scaled_dot_product_attention' not in dart['unsupported']
    assert dart['by_kind']['adapter'] > 0


def test_sdpa_handle_matches_two_bmm() -> None:
    class Value:  # the jit value interface the handle reads
        def __init__(self, shape: list[int]):
            self.shape = shape

        def isCompleteTensor(self) -> bool:
            return True

        def type(self) -> 'Value':
            return self

        def sizes(self) -> list[int]:
            return self.shape

    q, k, v = Value([2, 3, 5, 8]), Value([2, 3, 7, 8]), Value([2, 3, 7, 4])
    assert get_flops.sdpa_flop_jit([q, k, v], []) == 2 * 3 * (5 * 7 * 8 + 5 * 7 * 4)


@pytest.mark.parametrize('config, shape', [
    ('configs/det/mask-rcnn_dart-t_fpn_demo.py', (64, 64)),
    ('configs/video/dart-mini_8x2x1_video-demo.py', (2, 64, 64)),
])
def test_det_and_video_configs(config: str, shape: tuple[int, ...]) -> None:
    if not (REPO_ROOT / config).is_file():
        pytest.skip(f'{config} does not exist yet')
    result = get_flops.complexity(str(REPO_ROOT / config), shape)
    assert result['task'] == ('det' if 'det' in config else 'video')
    assert result['flops'] > 0 and result['params'] > 0
    assert result['by_kind']['tokenizer'] > 0
