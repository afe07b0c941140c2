"""The pieces DARTViT is assembled from: arch presets, size arguments, the ViT trunk."""
import pytest
import torch

from dart_dense.models.backbones import ARCH_ZOO, DARTViT
from dart_dense.models.backbones.presets import resolve_arch

TINY = dict(embed_dims=16, depth=2, num_heads=2)
GRID = dict(type='GridTokenizer')


def test_resolve_arch_presets_and_errors():
    assert resolve_arch('small') == ARCH_ZOO['small']
    assert resolve_arch(TINY) is TINY
    with pytest.raises(ValueError, match=r"arch must be one of \['base', 'small', 'tiny'\]"):
        resolve_arch('huge')
    with pytest.raises(ValueError, match=r"arch dict is missing \['num_heads'\]"):
        resolve_arch(dict(embed_dims=16, depth=2))


@pytest.mark.parametrize('name, value', [('img_size', (32, 32, 3)), ('pos_grid', [4])])
def test_size_arguments_need_an_int_or_pair(name, value):
    with pytest.raises(ValueError, match=fr'{name} must be an int or \(h, w\)'):
        DARTViT(**{'arch': TINY, 'img_size': 32, 'patch_size': 8, 'tokenizer': GRID,
                   name: value})


def test_trunk_tables_and_prefix_tokens():
    model = DARTViT(arch=TINY, img_size=(16, 32), patch_size=8, tokenizer=GRID)
    assert model.pos_grid == (2, 4) and model.num_prefix_tokens == 1
    assert model.pos_table().shape == (1, 16, 2, 4)
    tokens = torch.randn(3, 5, 16)
    seq = model.eval().with_prefix_tokens(tokens)
    assert seq.shape == (3, 6, 16) and torch.equal(seq[:, 1:], tokens)
    assert torch.equal(seq[:, 0], (model.cls_token + model.pos_embed[:, :1])[0].expand(3, -1))
    plain = DARTViT(arch=TINY, img_size=16, patch_size=8, tokenizer=GRID, with_cls_token=False)
    assert plain.num_prefix_tokens == 0 and torch.equal(plain.with_prefix_tokens(tokens), tokens)
