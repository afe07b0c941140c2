"""Checkpoint layout conversion: pure functions and the converter CLI."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dart_dense.utils.ckpt_convert import (convert_checkpoint, convert_official_dart,
                                           convert_timm_vit, detect_layout, resize_pos_embed)

ROOT = Path(__file__).resolve().parents[2]


def test_official_keys_are_renamed_and_head_dropped():
    state = {'patch_embed.proj.weight': torch.zeros(1), 'head.weight': torch.zeros(1),
             'patch_embed.spn.spn.spn.features.0.0.weight': torch.zeros(1),
             'patch_embed.spn.spn.spn.mlp.net.2.bias': torch.zeros(1),
             'blocks.0.attn.qkv.weight': torch.zeros(1), 'pos_embed': torch.zeros(1)}
    assert detect_layout(state) == 'official_dart'
    assert sorted(convert_official_dart(state)) == sorted([
        'tokenizer.proj.weight', 'tokenizer.scorer.features.0.0.weight',
        'tokenizer.scorer.mlp.net.2.bias', 'blocks.0.attn.qkv.weight', 'pos_embed'])


def test_deit_distilled_token_is_dropped():
    pos = torch.arange(4 * 2, dtype=torch.float32).view(1, 4, 2)  # cls, dist, 2 grid entries
    state = {'patch_embed.proj.weight': torch.zeros(1), 'dist_token': torch.zeros(1, 1, 2),
             'pos_embed': pos, 'head_dist.weight': torch.zeros(1)}
    assert detect_layout(state) == 'timm'
    out = convert_timm_vit(state)
    assert 'dist_token' not in out and 'head_dist.weight' not in out
    assert torch.equal(out['pos_embed'], pos[:, [0, 2, 3]])


def test_resize_pos_embed_keeps_cls_and_resizes_grid():
    pos = torch.randn(1, 1 + 14 * 14, 8)
    out = resize_pos_embed(pos, (32, 20), src_extra=1, dst_extra=1)
    assert out.shape == (1, 1 + 32 * 20, 8) and torch.equal(out[:, :1], pos[:, :1])
    assert resize_pos_embed(pos, (14, 14), 1, 0).shape == (1, 196, 8)
    with pytest.raises(ValueError, match='not square'):
        resize_pos_embed(torch.randn(1, 1 + 15, 8), (4, 4), 1, 1)


@pytest.mark.parametrize('dst', [(20, 32), (7, 7), (9, 5)])
def test_resize_pos_embed_is_plain_bicubic(dst):
    """timm's resampler with antialias off: exactly F.interpolate's bicubic (the resizing this
    module did by hand before), shrinking included."""
    pos = torch.randn(1, 1 + 14 * 14, 8, dtype=torch.float64)
    grid = pos[:, 1:].reshape(1, 14, 14, 8).permute(0, 3, 1, 2).float()
    ref = torch.nn.functional.interpolate(grid, size=dst, mode='bicubic', align_corners=False)
    ref = ref.flatten(2).transpose(1, 2).double()
    out = resize_pos_embed(pos, dst, 1, 1)
    assert out.dtype == pos.dtype and torch.equal(out[:, 1:], ref)


def test_resize_pos_embed_non_square_source():
    pos = torch.randn(1, 3 * 5, 4)
    assert torch.equal(resize_pos_embed(pos, (3, 5), 0, 0, src_grid=(3, 5)), pos)
    assert resize_pos_embed(pos, (6, 10), 0, 0, src_grid=(3, 5)).shape == (1, 60, 4)
    with pytest.raises(ValueError, match='does not hold'):
        resize_pos_embed(pos, (6, 10), 0, 0, src_grid=(4, 4))


def test_dart_dense_checkpoint_of_a_non_square_model_loads_unchanged():
    """A detection backbone's (50, 84)-like table: same entry count → taken as the model's
    grid, not rejected as non-square."""
    model = torch.nn.Module()
    model.pos_grid, model.with_cls_token = (3, 5), True
    pos = torch.randn(1, 1 + 15, 4)
    state = convert_checkpoint({'tokenizer.proj.weight': torch.zeros(4, 3, 2, 2),
                                'cls_token': torch.zeros(1, 1, 4), 'pos_embed': pos}, model)
    assert torch.equal(state['pos_embed'], pos)


def test_converter_cli(tmp_path):
    src = tmp_path / 'darvit.pth'
    torch.save({'model': {'patch_embed.proj.weight': torch.randn(4, 3, 16, 16),
                          'patch_embed.spn.spn.spn.mlp.net.0.weight': torch.randn(2, 2),
                          'cls_token': torch.randn(1, 1, 4),
                          'pos_embed': torch.randn(1, 197, 4)}}, src)
    dst = tmp_path / 'out' / 'dart.pth'
    result = subprocess.run(
        [sys.executable, str(ROOT / 'tools/model_converters/convert_pretrained.py'), str(src),
         str(dst), '--pos-grid', '32', '32'], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert 'official_dart' in result.stdout
    out = torch.load(dst, weights_only=True)
    assert out['pos_embed'].shape == (1, 1 + 32 * 32, 4)
    assert 'tokenizer.scorer.mlp.net.0.weight' in out
