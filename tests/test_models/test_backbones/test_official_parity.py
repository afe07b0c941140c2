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
