"""DARTTokenizer(score_sharpness=β): importance ``sigmoid(β·z) + floor``; β = 1: the default."""
from __future__ import annotations

import math

import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the classes)
from dart_dense.models.tokenizers import importance_from_logits
from dart_dense.utils.op_count import count_ops


def tokenizer(**kwargs) -> torch.nn.Module:
    cfg = dict(type='DARTTokenizer', in_channels=3, embed_dims=8, patch_size=14,
               num_tokens=16, grid_stride=4, scorer=dict(type='GradientEnergyScorer', stride=4))
    torch.manual_seed(0)
    return MODELS.build(dict(cfg, **kwargs)).eval()


def busy_corner_images() -> torch.Tensor:
    """(2, 3, 70, 84) flat noise with one textured corner: importance has a clear peak."""
    g = torch.Generator().manual_seed(0)
    images = 0.05 * torch.randn(2, 3, 70, 84, generator=g)
    images[..., :20, :24] += torch.randn(2, 3, 20, 24, generator=g)
    return images


@pytest.mark.parametrize('official', [False, True])
def test_sharpness_one_is_the_default_bit_for_bit(official: bool) -> None:
    images = busy_corner_images()
    with torch.no_grad():
        default = tokenizer(official=official)(images)
        one = tokenizer(official=official, score_sharpness=1.0)(images)
    assert torch.equal(one.scores, default.scores)
    assert torch.equal(one.layout.token_edges, default.layout.token_edges)
    assert torch.equal(one.tokens, default.tokens)


def test_sharpness_one_adds_no_operator_and_beta_adds_one() -> None:
    images = busy_corner_images()
    counts = {}
    for name, kwargs in (('default', {}), ('one', dict(score_sharpness=1.0)),
                         ('three', dict(score_sharpness=3.0))):
        model = tokenizer(**kwargs)
        with torch.no_grad():
            model(images)  # warm the caches
            counts[name] = count_ops(model, images).by_name
    assert counts['one'] == counts['default']
    extra = {name: n - counts['default'].get(name, 0) for name, n in counts['three'].items()}
    assert {name: n for name, n in extra.items() if n} == {'aten.mul': 1}


def test_importance_is_sigmoid_of_beta_times_z() -> None:
    logits = torch.randn(2, 1, 9, 11, generator=torch.Generator().manual_seed(1))
    plain = importance_from_logits(logits, (9, 11), (36, 44), floor=0.1)
    sharp = importance_from_logits(logits, (9, 11), (36, 44), floor=0.1, sharpness=3.0)
    z = torch.logit(plain - 0.1)
    torch.testing.assert_close(sharp, torch.sigmoid(3.0 * z) + 0.1)
    # padded cells keep exactly the floor whatever β
    valid = torch.tensor([[36.0, 44.0], [20.0, 24.0]])
    padded = importance_from_logits(logits, (9, 11), (36, 44), valid, floor=0.1, sharpness=3.0)
    assert torch.equal(padded[1, 5:], torch.full_like(padded[1, 5:], 0.1))


def test_sharper_importance_concentrates_the_tokens() -> None:
    images = busy_corner_images()
    with torch.no_grad():
        plain, sharp = (tokenizer(score_sharpness=b)(images) for b in (1.0, 3.0))

    def contrast(scores: torch.Tensor) -> torch.Tensor:
        return scores.amax(dim=(1, 2)) / scores.amin(dim=(1, 2))
    assert (contrast(sharp.scores) > contrast(plain.scores)).all()
    # the busy corner gets smaller tokens, the flat rest larger ones (same total area)
    sharp_area, plain_area = sharp.layout.token_areas(), plain.layout.token_areas()
    assert (sharp_area.amin(dim=1) < plain_area.amin(dim=1)).all()
    assert (sharp_area.amax(dim=1) > plain_area.amax(dim=1)).all()
    torch.testing.assert_close(sharp_area.sum(dim=1), plain_area.sum(dim=1))


@pytest.mark.parametrize('beta', [0, -1.0, math.nan, math.inf, True, '3', None])
def test_bad_sharpness_is_refused_at_build_time(beta: object) -> None:
    with pytest.raises(ValueError, match='score_sharpness must be a finite number > 0'):
        tokenizer(score_sharpness=beta)


def test_importance_refuses_a_non_positive_sharpness() -> None:
    with pytest.raises(ValueError, match='sharpness must be a number > 0'):
        importance_from_logits(torch.zeros(1, 1, 4, 4), (4, 4), (16, 16), sharpness=0.0)


def test_sharpened_tokenizer_compiles_as_one_graph() -> None:
    """The option is an argument, not swapped global state: fullgraph capture holds."""
    model = tokenizer(score_sharpness=3.0)
    images = busy_corner_images()
    compiled = torch.compile(model.score, fullgraph=True, backend='eager')
    with torch.no_grad():
        torch.testing.assert_close(compiled(images), model.score(images))
