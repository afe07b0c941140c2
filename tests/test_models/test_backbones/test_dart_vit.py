"""DARTViT: registry, outputs, timm parity, checkpoints, with_cp, frozen stages."""
import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401
from dart_dense.models import DARTViT
from dart_dense.utils.token_recorder import TokenRecorder

TINY = dict(embed_dims=32, depth=4, num_heads=2)


def _backbone(**kwargs) -> DARTViT:
    cfg = dict(type='DARTViT', arch=TINY, img_size=64, patch_size=8,
               tokenizer=dict(type='DARTTokenizer', num_tokens=32,
                              scorer=dict(type='ConvScorer', channels=(4, 8))))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('scope', ['mmseg', 'mmdet', 'mmaction'])
def test_builds_through_downstream_registries(scope):
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model = registry.build(dict(type='DARTViT', arch='tiny', img_size=64,
                                tokenizer=dict(type='GridTokenizer')))
    assert isinstance(model, DARTViT)
    neck = registry.build(dict(type='SimplePyramid', in_channels=192, out_channels=16))
    assert type(neck).__name__ == 'SimplePyramid'


@pytest.mark.parametrize('hw', [(64, 64), (48, 80)])
@pytest.mark.parametrize('out_indices,out_strides', [(-1, 16), ((1, 3), 8), ((3, 3, 3), (4, 8, 16))])
def test_output_shapes_and_feature_info(hw, out_indices, out_strides):
    model = _backbone(out_indices=out_indices, out_strides=out_strides).eval()
    with torch.no_grad(), TokenRecorder(model) as recorder:
        outs = model(torch.randn(2, 3, *hw))
    assert len(outs) == len(model.feature_info)
    for out, info in zip(outs, model.feature_info):
        s = info['reduction']
        assert out.shape == (2, info['num_chs'], -(-hw[0] // s), -(-hw[1] // s))
    assert recorder.last.layout.num_tokens == 32
    assert recorder.last.scores.shape[0] == 2
    _, inter = model.forward_intermediates(torch.randn(1, 3, *hw), output_fmt='NLC')
    assert all(t.shape == (1, 32, 32) for t in inter)


def test_budget_too_large_for_image_rejected_at_build():
    with pytest.raises(ValueError, match='at most 64'):
        _backbone(tokenizer=dict(type='DARTTokenizer', num_tokens=65))


def test_timm_parity_with_grid_tokenizer():
    import timm
    torch.manual_seed(0)
    ref = timm.create_model('vit_small_patch16_224', pretrained=False, num_classes=0).eval()
    model = MODELS.build(dict(type='DARTViT', arch='small', img_size=224,
                              tokenizer=dict(type='GridTokenizer'))).eval()
    from dart_dense.utils.ckpt_convert import convert_checkpoint
    missing, unexpected = model.load_state_dict(convert_checkpoint(ref.state_dict(), model),
                                                strict=False)
    assert not missing and not unexpected
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = ref.forward_features(images)
        final, _ = model.forward_intermediates(images, output_fmt='NLC')
    assert torch.allclose(final, expected, atol=1e-5)


def _official_state(model: DARTViT) -> dict:
    """An official-layout DART state dict with the layout's key names and shapes."""
    state = {}
    for key, value in model.state_dict().items():
        key = key.replace('tokenizer.scorer.', 'patch_embed.spn.spn.spn.')
        key = key.replace('tokenizer.proj.', 'patch_embed.proj.')
        state[key] = torch.randn_like(value) if value.is_floating_point() else value
    state['pos_embed'] = torch.randn(1, 1 + 14 * 14, model.embed_dims)  # official 14x14 table
    state['head.weight'] = torch.randn(1000, model.embed_dims)
    state['head.bias'] = torch.randn(1000)
    return {'model': state}


def test_official_dart_checkpoint_loads_without_missing_keys(tmp_path):
    cfg = dict(arch=TINY, img_size=64, patch_size=8, pos_grid=8,
               tokenizer=dict(type='DARTTokenizer', num_tokens=16,
                              scorer=dict(type='MobileNetV3Scorer', arch='small')))
    model = _backbone(**cfg)
    path = tmp_path / 'darvit-tiny.pth'
    checkpoint = _official_state(model)
    torch.save(checkpoint, path)
    loaded = _backbone(**cfg, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    state = loaded.state_dict()
    src = checkpoint['model']
    assert torch.equal(state['tokenizer.proj.weight'], src['patch_embed.proj.weight'])
    assert torch.equal(state['tokenizer.scorer.mlp.net.0.weight'],
                       src['patch_embed.spn.spn.spn.mlp.net.0.weight'])
    assert torch.equal(state['blocks.3.mlp.fc2.weight'], src['blocks.3.mlp.fc2.weight'])
    assert state['pos_embed'].shape == (1, 65, 32)  # resized 14x14 -> 8x8
    assert torch.equal(state['pos_embed'][:, :1], src['pos_embed'][:, :1])
    from dart_dense.utils.ckpt_convert import load_pretrained
    missing, unexpected = load_pretrained(_backbone(**cfg), str(path))
    assert missing == [] and unexpected == []


def test_bad_checkpoints_fail_clearly(tmp_path):
    model = _backbone()
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _backbone(init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'nope.pth')))
    wrong = {'model': {'patch_embed.proj.weight': torch.zeros(7, 3, 8, 8),
                       'blocks.0.norm1.weight': torch.zeros(32)}}
    torch.save(wrong, tmp_path / 'wrong.pth')
    with pytest.raises(ValueError, match=r'wrong.pth.*tokenizer.proj.weight'):
        _backbone(init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'wrong.pth')))
    torch.save(model.state_dict(), tmp_path / 'full.pth')
    data = (tmp_path / 'full.pth').read_bytes()
    (tmp_path / 'trunc.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match='trunc.pth'):
        _backbone(init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'trunc.pth')))
    torch.save({'foo.bar': torch.zeros(1)}, tmp_path / 'alien.pth')
    with pytest.raises(ValueError, match='alien.pth.*unrecognized'):
        _backbone(init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'alien.pth')))


def test_with_cp_same_output_and_gradients():
    torch.manual_seed(0)
    plain = _backbone(drop_path_rate=0.0)
    ckpt = _backbone(with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    images = torch.randn(2, 3, 64, 64)
    plain.train(), ckpt.train()
    out_a, out_b = plain(images)[0], ckpt(images)[0]
    assert torch.allclose(out_a, out_b, atol=1e-6)
    out_a.square().mean().backward()
    out_b.square().mean().backward()
    for (name, pa), pb in zip(plain.named_parameters(), ckpt.parameters()):
        if pa.grad is not None:
            assert torch.allclose(pa.grad, pb.grad, atol=1e-6), name


def test_frozen_stages_and_norm_eval():
    model = _backbone(frozen_stages=2, norm_eval=True)
    model.train()
    assert not model.tokenizer.training and not model.blocks[1].training
    assert model.blocks[2].training
    assert not model.pos_embed.requires_grad and not model.cls_token.requires_grad
    assert all(not p.requires_grad for p in model.blocks[:2].parameters())
    assert all(p.requires_grad for p in model.blocks[2:].parameters())
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match='arch'):
        _backbone(arch='huge')
    with pytest.raises(ValueError, match='out_indices'):
        _backbone(out_indices=(7,))
    with pytest.raises(ValueError, match='out_strides'):
        _backbone(out_indices=(1, 2), out_strides=(8,))
