"""Importance scorers."""
import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401


def test_gradient_energy_prefers_texture():
    scorer = MODELS.build(dict(type='GradientEnergyScorer', stride=8))
    images = torch.zeros(1, 3, 32, 32)
    images[:, :, :16, :16] = torch.randn(3, 16, 16)
    logits = scorer(images)
    assert logits.shape == (1, 1, 4, 4)
    assert logits[0, 0, 0, 0] > logits[0, 0, 3, 3] + 5
    assert not any(True for _ in scorer.parameters())


def test_input_scale_downsamples():
    scorer = MODELS.build(dict(type='ConvScorer', channels=(4, 4), input_scale=0.5))
    assert scorer(torch.randn(2, 3, 64, 48)).shape == (2, 1, 8, 6)
    with pytest.raises(ValueError, match='input_scale'):
        MODELS.build(dict(type='ConvScorer', input_scale=0))


@pytest.mark.parametrize('arch,channels', [('small', 96), ('large', 160)])
def test_mobilenet_v3_trunk_is_frozen_and_official_shaped(arch, channels, tmp_path):
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch=arch))
    assert scorer.mlp.net[0].in_features == channels
    scorer.train()
    assert not scorer.features.training
    assert all(not p.requires_grad for p in scorer.features.parameters())
    assert all(p.requires_grad for p in scorer.mlp.parameters())
    out = scorer(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 1, 2, 2)  # both trunks end at stride 32 (14x14 at 448 px)
    # trunk weights load from a local torchvision-layout checkpoint
    state = {f'features.{k}': torch.full_like(v, 0.5) if v.is_floating_point() else v
             for k, v in scorer.features.state_dict().items()}
    state['classifier.0.weight'] = torch.zeros(2, 2)
    path = tmp_path / 'mbv3.pth'
    torch.save(state, path)
    loaded = MODELS.build(dict(type='MobileNetV3Scorer', arch=arch, checkpoint=str(path)))
    first = next(iter(loaded.features.state_dict().values()))
    assert torch.all(first == 0.5)
    del state['features.0.0.weight']
    torch.save(state, path)
    with pytest.raises(KeyError, match='features|0.0.weight'):
        MODELS.build(dict(type='MobileNetV3Scorer', arch=arch, checkpoint=str(path)))


def test_mobilenet_v3_channels_last_scoring_is_the_same_function():
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch='small')).eval()
    images = torch.randn(2, 3, 96, 64)
    with torch.no_grad():
        reference = scorer.mlp(scorer.features(images.contiguous()))  # stock NCHW layout
        assert torch.allclose(scorer(images), reference, atol=1e-5)
