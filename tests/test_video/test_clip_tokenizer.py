"""ClipTokenizer: the clip budget split by content and motion, one batched padded tokenization
equal to tokenizing every frame alone, frame-major sequences and rendering."""
from __future__ import annotations

from typing import Optional

import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the tokenizers and scorers)
from dart_dense.models.tokenizers import ClipTokenizer, clip_importance
from dart_dense.models.tokenizers.clip_tokenizer import clip_slots

T = 8
PER_FRAME = 16  # of the 64 grid cells of a 64x64 frame with 8x8 patches
SCORERS = [dict(type='GradientEnergyScorer'), dict(type='ConvScorer', channels=(8, 16, 16))]


def build(scorer: dict = SCORERS[0], in_channels: int = 3, **kwargs) -> ClipTokenizer:
    torch.manual_seed(0)
    frame = dict(type='DARTTokenizer', in_channels=in_channels, embed_dims=16, patch_size=8,
                 num_tokens=PER_FRAME, scorer=scorer)
    return MODELS.build(dict(type='ClipTokenizer', tokenizer=frame, **kwargs)).eval()


def smooth_clip(batch: int = 1) -> torch.Tensor:
    """(B, T, 3, 64, 64): the same smooth frame T times."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing='ij')
    return torch.stack([xx, yy, xx * yy]).expand(batch, T, 3, 64, 64).clone()


def differing_clip() -> torch.Tensor:
    """A static smooth clip whose frame 5 is replaced by noise (more content and motion)."""
    clip = smooth_clip()
    clip[0, 5] = torch.randn(3, 64, 64, generator=torch.Generator().manual_seed(1))
    return clip


@pytest.mark.parametrize('scorer', SCORERS, ids=lambda s: s['type'])
def test_static_clip_splits_evenly(scorer: dict) -> None:
    clip = smooth_clip(batch=2)
    clip[1] = torch.randn(3, 64, 64)  # a static clip of noise: also even
    with torch.no_grad():
        out = build(scorer)(clip)
    assert out.budgets.tolist() == [[PER_FRAME] * T] * 2
    assert out.tokens.shape == (2, T * PER_FRAME, 16)
    assert out.layout.num_tokens == 64  # n_max: the frame capacity, static


@pytest.mark.parametrize('scorer, motion_weight', [
    (SCORERS[0], 0.5),  # content + motion
    (SCORERS[0], 0.0),  # content alone (the noise frame is the busiest)
    (SCORERS[1], 1.0),  # motion alone: a random-init scorer rates content arbitrarily
], ids=['energy-mixed', 'energy-content', 'conv-motion'])
def test_differing_frame_gets_more_tokens(scorer: dict, motion_weight: float) -> None:
    with torch.no_grad():
        out = build(scorer, motion_weight=motion_weight)(differing_clip())
    budgets = out.budgets[0]
    assert budgets.sum() == T * PER_FRAME
    others = torch.cat([budgets[:5], budgets[6:]])
    assert budgets[5] > PER_FRAME and (budgets[5] > others).all(), budgets.tolist()
    # the tokens of every frame really are its budget
    assert torch.bincount(out.frame_index[0], minlength=T).tolist() == budgets.tolist()


def test_uniform_split_ignores_importance() -> None:
    with torch.no_grad():
        out = build(budget_split='uniform')(differing_clip())
        odd = build(budget_split='uniform')(differing_clip(), num_tokens=T * PER_FRAME + 3)
    assert out.budgets.tolist() == [[PER_FRAME] * T]
    assert out.layout.counts is None and out.source is None  # every frame fills its slots
    assert odd.budgets.tolist() == [[PER_FRAME + 1] * 3 + [PER_FRAME] * 5]  # the remainder


def test_budget_power_sharpens_the_split() -> None:
    with torch.no_grad():
        flat = build(budget_power=1.0)(differing_clip()).budgets[0, 5]
        sharp = build(budget_power=4.0)(differing_clip()).budgets[0, 5]
    assert sharp > flat


def test_motion_ranks_the_changed_frame_above_its_neighbours() -> None:
    clip = smooth_clip()
    clip[0, 3, :, 16:40, 16:40] += 1.0  # frame 3 differs from frames 2 and 4 on one square
    logits = torch.zeros(1, T, 1, 8, 8)  # content flat: only motion ranks the frames
    importance = clip_importance(logits, (8, 8), clip, motion_weight=1.0, floor=0.1)
    mass = importance.sum(dim=(2, 3))[0]
    assert mass[3] > mass[2] > mass[0] and mass[3] > mass[4] > mass[6]
    assert torch.allclose(mass[0], mass[6])


def alone(tokenizer: ClipTokenizer, clip: torch.Tensor, pos: Optional[torch.Tensor],
          budgets: torch.Tensor, importance: torch.Tensor):
    """Reference: every frame (tubelet) tokenized on its own with its budget."""
    b, t, c, h, w = clip.shape
    k = tokenizer.tubelet_size
    flat = clip.reshape(b * t // k, k * c, h, w)
    frame_importance = importance.flatten(0, 1)
    return [tokenizer.tokenizer.tokenize_importance(flat[i:i + 1], frame_importance[i:i + 1], n,
                                                    pos)
            for i, n in enumerate(budgets.flatten().tolist())]


@pytest.mark.parametrize('tubelet_size, max_frame_tokens', [(1, None), (2, None), (1, 24)])
def test_batched_padded_tokens_equal_every_frame_tokenized_alone(
        tubelet_size: int, max_frame_tokens: Optional[int]) -> None:
    tokenizer = build(in_channels=3 * tubelet_size, motion_weight=1.0,
                      tubelet_size=tubelet_size, max_frame_tokens=max_frame_tokens)
    clip = torch.cat([differing_clip(), smooth_clip() + 0.3 * torch.randn(1, T, 3, 64, 64)])
    pos = torch.randn(1, 16, 8, 8)
    with torch.no_grad():
        out = tokenizer(clip, pos)
        frames = alone(tokenizer, clip, pos, out.budgets, out.importance)
    units = T // tubelet_size
    assert len(set(out.budgets.flatten().tolist())) > 2  # really different budgets
    assert out.layout.num_tokens == (max_frame_tokens or 64)
    assert out.budgets.max() <= (max_frame_tokens or 64)
    for i, ref in enumerate(frames):
        b, t = divmod(i, units)
        n, start = ref.tokens.shape[1], int(out.budgets[b, :t].sum())
        torch.testing.assert_close(out.tokens[b, start:start + n], ref.tokens[0])
        torch.testing.assert_close(out.pos[b, start:start + n], ref.pos[0])
        assert (out.frame_index[b, start:start + n] == t).all()
        rows = ref.layout.num_rows
        torch.testing.assert_close(out.layout.row_edges[i, :rows + 1], ref.layout.row_edges[0])
        torch.testing.assert_close(out.layout.token_edges[i, :n + 1], ref.layout.token_edges[0])


def test_clip_slots_pick_the_real_slots_frame_major() -> None:
    budgets = torch.tensor([[2, 3, 1], [1, 1, 4]])
    source, frame = clip_slots(budgets, num_slots=4, total=6)
    # frame f of clip b starts at row (b*3 + f)*4 of the flat padded tokens
    assert source.tolist() == [[0, 1, 4, 5, 6, 8], [12, 16, 20, 21, 22, 23]]
    assert frame.tolist() == [[0, 0, 1, 1, 1, 2], [0, 1, 2, 2, 2, 2]]


def test_frame_tokens_and_render_invert_the_gather() -> None:
    tokenizer = build(motion_weight=1.0)
    clip = torch.cat([smooth_clip(), differing_clip()])
    with torch.no_grad():
        out = tokenizer(clip)
    assert out.source is not None  # several budgets: the padded path
    padded = torch.randn(2 * T, out.layout.num_tokens, 5)
    seq = padded.reshape(-1, 5)[out.source.flatten()].view(2, T * PER_FRAME, 5)
    back = out.frame_tokens(seq)
    mask = out.layout.token_mask()
    torch.testing.assert_close(back[mask], padded[mask])
    assert (back[~mask] == 0).all()
    # a token carrying its frame index renders to maps equal to the frame index everywhere
    marks = out.frame_index[..., None].float().expand(-1, -1, 3)
    dense = out.render(marks, stride=8)
    assert dense.shape == (2, 3, T, 8, 8)
    expected = torch.arange(T, dtype=torch.float32).view(1, 1, T, 1, 1).expand_as(dense)
    torch.testing.assert_close(dense, expected)


def test_grid_frames_need_the_uniform_split() -> None:
    grid = dict(type='GridTokenizer', embed_dims=16, patch_size=8)
    with pytest.raises(ValueError, match="budget_split='uniform'"):
        ClipTokenizer(grid)
    tokenizer = ClipTokenizer(grid, budget_split='uniform')
    with torch.no_grad():
        out = tokenizer(smooth_clip(batch=2))
    assert out.budgets.tolist() == [[64] * T] * 2 and out.importance is None
    assert out.tokens.shape == (2, T * 64, 16)
    with pytest.raises(ValueError, match='fixed'):
        tokenizer(smooth_clip(), num_tokens=T * 64 - T)


def test_clip_tokenizer_argument_errors() -> None:
    with pytest.raises(ValueError, match='budget_split'):
        build(budget_split='random')
    with pytest.raises(ValueError, match='motion_weight'):
        build(motion_weight=1.5)
    with pytest.raises(ValueError, match='min_frame_tokens'):
        build(min_frame_tokens=0)
    with pytest.raises(ValueError, match='max_frame_tokens'):
        build(min_frame_tokens=8, max_frame_tokens=4)
    tokenizer = build(max_frame_tokens=20)
    with pytest.raises(ValueError, match=r'\(B, T, C, H, W\)'):
        tokenizer(torch.zeros(T, 3, 64, 64))
    with pytest.raises(ValueError, match='cannot be split'):
        tokenizer(smooth_clip(), num_tokens=T * 20 + 1)  # above max_frame_tokens per frame


def test_tubelets_get_one_budget_each_and_the_changing_one_gets_more() -> None:
    tokenizer = build(in_channels=6, motion_weight=1.0, tubelet_size=2)
    with torch.no_grad():
        out = tokenizer(differing_clip())
    budgets = out.budgets[0]
    assert budgets.shape == (T // 2,) and budgets.sum() == (T // 2) * PER_FRAME
    assert (budgets[2] > torch.cat([budgets[:2], budgets[3:]])).all(), budgets.tolist()  # 4, 5
    assert out.importance.shape == (1, T // 2, 8, 8)
    with pytest.raises(ValueError, match='tubelet_size'):
        build(in_channels=9, tubelet_size=3)(differing_clip())
