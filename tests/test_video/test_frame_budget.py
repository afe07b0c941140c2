"""The clip budget split: exact sums, bounds, even on static clips, more for a differing frame."""
from __future__ import annotations

import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the tokenizers and scorers)
from dart_dense.models.tokenizers.frame_budget import (FrameBudget, clip_importance,
                                                       split_budget)

T = 8
PER_FRAME = 16


def test_split_budget_is_exact_proportional_and_bounded() -> None:
    weights = torch.tensor([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0], [1.0, 100.0, 1.0]])
    budgets = split_budget(weights, total=10, capacity=6, min_tokens=2)
    assert budgets.dtype == torch.long
    # 10 * (1/4, 1/4, 1/2) = 2.5, 2.5, 5: largest remainder, ties to the earlier frame
    assert budgets[0].tolist() == [3, 2, 5]
    assert budgets[1].tolist() == [4, 3, 3]
    # frame 1 wants ~9.8 but holds at most 6; the rest is shared by the others (>= 2 each)
    assert budgets[2].tolist() == [2, 6, 2]


def test_split_budget_random_rows_sum_exactly() -> None:
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(64, T, generator=gen, dtype=torch.float64) ** 4 + 1e-3
    for total in (T, 97, 400, T * 50):
        budgets = split_budget(weights, total=total, capacity=50, min_tokens=1)
        assert (budgets.sum(dim=1) == total).all()
        assert budgets.min() >= 1 and budgets.max() <= 50


def test_split_budget_rounds_by_largest_remainder() -> None:
    gen = torch.Generator().manual_seed(0)
    weights = torch.rand(64, T, generator=gen, dtype=torch.float64) + 0.5
    ideal = weights / weights.sum(dim=1, keepdim=True) * 97  # no bound binds: 4 < ideal < 25
    budgets = split_budget(weights, total=97, capacity=50, min_tokens=1)
    assert ((budgets - ideal).abs() < 1).all()
    # each frame gets the floor of its share or one more, the ones with the largest remainders
    assert ((budgets == ideal.floor()) | (budgets == ideal.floor() + 1)).all()
    frac = ideal - ideal.floor()
    rounded_up = budgets > ideal.floor()
    lowest_up = torch.where(rounded_up, frac, torch.full_like(frac, 2.0)).min(dim=1).values
    highest_down = torch.where(rounded_up, torch.full_like(frac, -1.0), frac).max(dim=1).values
    assert (lowest_up >= highest_down).all()


@pytest.mark.parametrize('kwargs, message', [
    (dict(total=7), 'cannot be split'),  # below min_tokens * T
    (dict(total=8 * 17), 'cannot be split'),  # above capacity * T
    (dict(total=20, min_tokens=0), 'min_tokens'),
])
def test_split_budget_rejects_impossible_budgets(kwargs: dict, message: str) -> None:
    args = dict(weights=torch.ones(1, 8), capacity=16, min_tokens=1) | kwargs
    with pytest.raises(ValueError, match=message):
        split_budget(**args)


def test_split_budget_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match='positive and finite'):
        split_budget(torch.tensor([[1.0, 0.0]]), total=4, capacity=4)
    with pytest.raises(ValueError, match=r'\(B, T\)'):
        split_budget(torch.ones(4), total=4, capacity=4)


def build_tokenizer(scorer: dict) -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.build(dict(type='DARTTokenizer', embed_dims=16, patch_size=8,
                             num_tokens=PER_FRAME, scorer=scorer)).eval()


SCORERS = [dict(type='GradientEnergyScorer'), dict(type='ConvScorer', channels=(8, 16, 16))]


def smooth_clip(batch: int = 1) -> torch.Tensor:
    """(B, T, 3, 64, 64): the same smooth frame T times."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing='ij')
    return torch.stack([xx, yy, xx * yy]).expand(batch, T, 3, 64, 64).clone()


@pytest.mark.parametrize('scorer', SCORERS, ids=lambda s: s['type'])
def test_static_clip_splits_evenly(scorer: dict) -> None:
    tokenizer = build_tokenizer(scorer)
    clip = smooth_clip(batch=2)
    clip[1] = torch.randn(3, 64, 64)  # a static clip of noise: also even
    with torch.no_grad():
        out = FrameBudget('importance')(tokenizer, clip)
    assert out.budgets.tolist() == [[PER_FRAME] * T] * 2
    assert len(out.groups) == 1  # one budget: one batched partition for all frames
    assert out.tokens.shape == (2, T * PER_FRAME, 16)


def differing_clip() -> torch.Tensor:
    """A static smooth clip whose frame 5 is replaced by noise (more content and motion)."""
    clip = smooth_clip()
    clip[0, 5] = torch.randn(3, 64, 64, generator=torch.Generator().manual_seed(1))
    return clip


@pytest.mark.parametrize('scorer, motion_weight', [
    (SCORERS[0], 0.5),  # content + motion
    (SCORERS[0], 0.0),  # content alone (the noise frame is the busiest)
    (SCORERS[1], 1.0),  # motion alone: a random-init scorer rates content arbitrarily
], ids=['energy-mixed', 'energy-content', 'conv-motion'])
def test_differing_frame_gets_more_tokens(scorer: dict, motion_weight: float) -> None:
    tokenizer = build_tokenizer(scorer)
    with torch.no_grad():
        out = FrameBudget('importance', motion_weight=motion_weight)(tokenizer, differing_clip())
    budgets = out.budgets[0]
    assert budgets.sum() == T * PER_FRAME
    others = torch.cat([budgets[:5], budgets[6:]])
    assert budgets[5] > PER_FRAME and (budgets[5] > others).all(), budgets.tolist()
    # the tokens of every frame really are its budget
    assert torch.bincount(out.frame_index[0], minlength=T).tolist() == budgets.tolist()


def test_uniform_split_ignores_importance() -> None:
    tokenizer = build_tokenizer(SCORERS[0])
    with torch.no_grad():
        out = FrameBudget('uniform')(tokenizer, differing_clip())
    assert out.budgets.tolist() == [[PER_FRAME] * T]


def test_budget_power_sharpens_the_split() -> None:
    tokenizer = build_tokenizer(SCORERS[0])
    with torch.no_grad():
        flat = FrameBudget(power=1.0)(tokenizer, differing_clip()).budgets[0, 5]
        sharp = FrameBudget(power=4.0)(tokenizer, differing_clip()).budgets[0, 5]
    assert sharp > flat


def test_motion_ranks_the_changed_frame_above_its_neighbours() -> None:
    clip = smooth_clip()
    clip[0, 3, :, 16:40, 16:40] += 1.0  # frame 3 differs from frames 2 and 4 on one square
    logits = torch.zeros(1, T, 1, 8, 8)  # content flat: only motion ranks the frames
    importance = clip_importance(logits, (8, 8), clip, motion_weight=1.0, floor=0.1)
    mass = importance.sum(dim=(2, 3))[0]
    assert mass[3] > mass[2] > mass[0] and mass[3] > mass[4] > mass[6]
    assert torch.allclose(mass[0], mass[6])


def test_clip_tokens_render_frame_major() -> None:
    tokenizer = build_tokenizer(SCORERS[0])
    clip = torch.cat([smooth_clip(), differing_clip()])
    with torch.no_grad():
        out = FrameBudget()(tokenizer, clip)
    assert len(out.groups) > 1  # several budgets: the grouped path
    # a token carrying its frame index renders to maps equal to the frame index everywhere
    marks = out.frame_index[..., None].float().expand(-1, -1, 3)
    dense = out.render(marks, stride=8)
    assert dense.shape == (2, 3, T, 8, 8)
    expected = torch.arange(T, dtype=torch.float32).view(1, 1, T, 1, 1).expand_as(dense)
    torch.testing.assert_close(dense, expected)


def test_frame_budget_argument_errors() -> None:
    with pytest.raises(ValueError, match='budget split'):
        FrameBudget('random')
    with pytest.raises(ValueError, match='motion_weight'):
        FrameBudget(motion_weight=1.5)
    with pytest.raises(ValueError, match='min_frame_tokens'):
        FrameBudget(min_tokens=0)
    tokenizer = build_tokenizer(SCORERS[0])
    with pytest.raises(ValueError, match=r'\(B, T, C, H, W\)'):
        FrameBudget()(tokenizer, torch.zeros(T, 3, 64, 64))


def test_tubelets_get_one_budget_each_and_the_changing_one_gets_more() -> None:
    tokenizer = MODELS.build(dict(type='DARTTokenizer', in_channels=6, embed_dims=16,
                                  patch_size=8, num_tokens=PER_FRAME,
                                  scorer=SCORERS[0])).eval()
    with torch.no_grad():
        out = FrameBudget('importance', motion_weight=1.0)(tokenizer, differing_clip(),
                                                          tubelet_size=2)
    budgets = out.budgets[0]
    assert budgets.shape == (T // 2,) and budgets.sum() == (T // 2) * PER_FRAME
    assert (budgets[2] > torch.cat([budgets[:2], budgets[3:]])).all(), budgets.tolist()  # 4, 5
    assert out.importance.shape == (1, T // 2, 8, 8)
    with pytest.raises(ValueError, match='tubelet_size'):
        FrameBudget()(tokenizer, differing_clip(), tubelet_size=3)
