"""Official-compatibility mode: DARTViT reproduces the official DART forward, step by step.

The official model is re-assembled here from the loop transcription of its tokenization
(``dart_dense.ops.reference``) and the same timm blocks; the backbone must agree with it.
"""
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401
from dart_dense.ops.reference import official_tokenize


def _official_forward(model, images: torch.Tensor, num_tokens: int) -> torch.Tensor:
    """Official DART-ViT features: scorer → batch standardization → tokens → blocks → norm."""
    scorer = model.tokenizer.scorer
    logits = scorer.mlp(scorer.features(images))  # (B, 1, 14, 14) at 448 px
    flat = logits.flatten(1)
    scores = torch.sigmoid((flat - flat.mean()) / (flat.std() + 1e-8)) + 0.1
    table = model.pos_embed[0, 1:].reshape(14, 14, -1)
    patches, pos, _, _ = official_tokenize(images, scores.view(-1, 14, 14), num_tokens, 16,
                                           table)
    proj = model.tokenizer.proj
    tokens = F.conv2d(patches.flatten(0, 1), proj.weight, proj.bias, stride=16)
    tokens = tokens.view(images.shape[0], num_tokens, -1) + pos
    cls = (model.cls_token + model.pos_embed[:, :1]).expand(images.shape[0], -1, -1)
    x = torch.cat([cls, tokens], dim=1)
    for block in model.blocks:
        x = block(x)
    return model.norm(x)


def test_official_mode_matches_official_forward():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='DARTViT', arch=dict(embed_dims=32, depth=2, num_heads=2), img_size=448,
        patch_size=16, pos_grid=14,
        tokenizer=dict(type='DARTTokenizer', num_tokens=49, official=True, grid_size=(14, 14),
                       scorer=dict(type='MobileNetV3Scorer', arch='small'))))
    model.init_weights()
    # a randomly initialized trunk's activations vanish (~1e-7) in eval mode, which would make
    # the scores constant; fan-in init keeps them O(1), as a trained trunk's are
    for module in model.tokenizer.scorer.features.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, mode='fan_in')
    # float64 end to end: the comparison then tests the numerics, not float32 rounding
    # (our partition runs in float64 while the official code rounds it in float32)
    model.eval().double()
    images = torch.randn(2, 3, 448, 448, dtype=torch.float64)
    for n in (49, 64):  # the budget knob at test time follows the same numerics
        with torch.no_grad():
            expected = _official_forward(model, images, n)
            final, _ = model.forward_intermediates(images, output_fmt='NLC', num_tokens=n)
        assert torch.allclose(final, expected, atol=1e-8), (final - expected).abs().max()


def _as_official_checkpoint(model) -> dict:
    """``model``'s weights in the official DART checkpoint layout (with a classifier head)."""
    state = {}
    for key, value in model.state_dict().items():
        key = key.replace('tokenizer.scorer.', 'patch_embed.spn.spn.spn.')
        state[key.replace('tokenizer.proj.', 'patch_embed.proj.')] = value
    state['head.weight'] = torch.zeros(1000, model.embed_dims)
    state['head.bias'] = torch.zeros(1000)
    return {'model': state}


def test_official_preset_reproduces_an_official_checkpoint(tmp_path):
    """One switch: DARTViT.official('tiny', checkpoint=...) is the official DART-T."""
    import warnings

    from dart_dense.models import DARTViT
    from dart_dense.models.scorers.mobilenet_v3 import UntrainedTrunkWarning

    torch.manual_seed(0)
    cfg = DARTViT.official_config('tiny', num_tokens=49)
    assert cfg['img_size'] == 448 and cfg['pos_grid'] == 14
    assert cfg['tokenizer']['official'] and cfg['tokenizer']['grid_size'] == (14, 14)
    assert cfg['tokenizer']['scorer'] == dict(type='MobileNetV3Scorer', arch='small')
    source = MODELS.build(cfg)  # stands in for the official DART-T: the layout is the same
    for module in source.tokenizer.scorer.features.modules():  # O(1) trunk activations,
        if isinstance(module, torch.nn.Conv2d):  # as in the test above
            torch.nn.init.kaiming_normal_(module.weight, mode='fan_in')
    torch.nn.init.normal_(source.pos_embed, std=0.02)
    path = tmp_path / 'darvit-tiny.pth'
    torch.save(_as_official_checkpoint(source), path)

    with warnings.catch_warnings():
        warnings.simplefilter('error', UntrainedTrunkWarning)  # the trunk came with it
        model = DARTViT.official('tiny', num_tokens=49, checkpoint=str(path))
    loaded, original = model.state_dict(), source.state_dict()
    assert loaded.keys() == original.keys()
    assert all(torch.equal(loaded[k], original[k]) for k in original)
    model.eval().double()
    images = torch.randn(2, 3, 448, 448, dtype=torch.float64)
    with torch.no_grad():
        expected = _official_forward(model, images, 49)
        final, _ = model.forward_intermediates(images, output_fmt='NLC')
    assert torch.allclose(final, expected, atol=1e-8), (final - expected).abs().max()


def test_official_preset_checks_its_arguments():
    import pytest

    from dart_dense.models import DARTViT

    with pytest.raises(ValueError, match="arch must be one of \\['small', 'tiny'\\]"):
        DARTViT.official_config('base')
    cfg = DARTViT.official_config('small', num_tokens=392, out_indices=(3, 11),
                                  checkpoint='darvit-sm.pth')
    assert cfg['tokenizer']['num_tokens'] == 392 and cfg['out_indices'] == (3, 11)
    assert cfg['tokenizer']['scorer']['arch'] == 'large'
    assert cfg['init_cfg'] == dict(type='Pretrained', checkpoint='darvit-sm.pth')


def test_pretrained_load_is_strict_about_vit_keys(tmp_path):
    """Missing ViT weights fail (naming strict=False); missing scorer weights are logged and
    a frozen trunk left untrained is reported by the scorer."""
    import pytest

    from dart_dense.models.scorers.mobilenet_v3 import UntrainedTrunkWarning

    cfg = dict(type='DARTViT', arch=dict(embed_dims=32, depth=2, num_heads=2), img_size=64,
               patch_size=16, tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                                             scorer=dict(type='MobileNetV3Scorer', arch='small')))
    state = {k: v for k, v in MODELS.build(cfg).state_dict().items()
             if not k.startswith('tokenizer.scorer.')}
    state = {k.replace('tokenizer.proj.', 'patch_embed.proj.'): v for k, v in state.items()}
    torch.save(state, tmp_path / 'deit.pth')  # timm layout: no scorer at all
    with pytest.warns(UntrainedTrunkWarning):
        MODELS.build({**cfg, 'init_cfg': dict(type='Pretrained',
                                              checkpoint=str(tmp_path / 'deit.pth'))}
                     ).init_weights()
    del state['blocks.1.mlp.fc2.weight']
    torch.save(state, tmp_path / 'partial.pth')
    partial = dict(type='Pretrained', checkpoint=str(tmp_path / 'partial.pth'))
    with pytest.raises(KeyError, match=r"blocks\.1\.mlp\.fc2\.weight.*strict=False"):
        MODELS.build({**cfg, 'init_cfg': partial}).init_weights()
    with pytest.warns(UntrainedTrunkWarning):
        MODELS.build({**cfg, 'init_cfg': {**partial, 'strict': False}}).init_weights()
