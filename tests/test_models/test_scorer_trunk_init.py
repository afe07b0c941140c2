"""MobileNetV3Scorer: a frozen trunk that got no weights is reported loudly at init_weights."""
import warnings

import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401
from dart_dense.models.scorers.mobilenet_v3 import UntrainedTrunkWarning


def _trunk_checkpoint(scorer, path) -> str:
    """A torchvision-layout MobileNetV3 checkpoint holding the trunk of ``scorer``."""
    torch.save({f'features.{k}': v for k, v in scorer.features.state_dict().items()}, path)
    return str(path)


def _no_trunk_warning(module) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter('error', UntrainedTrunkWarning)
        module.init_weights()


def test_frozen_trunk_without_weights_warns_naming_the_config_keys():
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch='small'))
    with pytest.warns(UntrainedTrunkWarning) as record:
        scorer.init_weights()
    message = str(record[0].message)
    for key in ('tokenizer.scorer.checkpoint=', "type='Pretrained'", 'scorer.frozen=False'):
        assert key in message


def test_trunk_weights_from_the_scorer_checkpoint_silence_the_warning(tmp_path):
    source = MODELS.build(dict(type='MobileNetV3Scorer', arch='small'))
    path = _trunk_checkpoint(source, tmp_path / 'mbv3.pth')
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch='small', checkpoint=path))
    assert scorer.trunk_source == path
    _no_trunk_warning(scorer)


def test_trainable_trunk_is_the_explicit_from_scratch_option():
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch='small', frozen=False))
    _no_trunk_warning(scorer)
    assert all(p.requires_grad for p in scorer.features.parameters())


def test_a_state_dict_with_the_trunk_counts_as_weights():
    """A full model state dict (load_from, resume, a DART checkpoint) reaches the trunk."""
    cfg = dict(type='DARTViT', arch=dict(embed_dims=16, depth=1, num_heads=2), img_size=64,
               tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                              scorer=dict(type='MobileNetV3Scorer', arch='small')))
    source, target = MODELS.build(cfg), MODELS.build(cfg)
    scorer = target.tokenizer.scorer
    assert scorer.trunk_source is None
    without_trunk = {k: v for k, v in source.state_dict().items() if '.features.' not in k}
    target.load_state_dict(without_trunk, strict=False)
    assert scorer.trunk_source is None
    target.load_state_dict(source.state_dict())
    assert scorer.trunk_source == 'state_dict'
    _no_trunk_warning(scorer)



def test_a_later_load_resolves_the_warning_in_the_log(monkeypatch):
    """The runner warns at init_weights, then load_from / resume brings the trunk: the log
    says the warning is resolved."""
    from dart_dense.models.scorers import mobilenet_v3

    messages = []
    monkeypatch.setattr(mobilenet_v3, 'print_log', lambda msg, **kwargs: messages.append(msg))
    source = MODELS.build(dict(type='MobileNetV3Scorer', arch='small'))
    scorer = MODELS.build(dict(type='MobileNetV3Scorer', arch='small'))
    with pytest.warns(UntrainedTrunkWarning):
        scorer.init_weights()
    scorer.load_state_dict(source.state_dict())
    assert scorer.trunk_source == 'state_dict'
    assert 'resolved' in messages[-1]
    _no_trunk_warning(scorer)
