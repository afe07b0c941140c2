"""DARTVideoViT: shapes for mmaction2's heads, clip budgets, gradients, the grid baseline,
no host syncs and whole-graph compilation."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from mmengine.registry import MODELS

import dart_dense.models  # noqa: F401  (registers the backbones)
from dart_dense.models.backbones.dart_video import DARTVideoViT
from dart_dense.utils.op_count import count_ops
from dart_dense.utils.token_recorder import TokenRecord, TokenRecorder

ARCH = dict(embed_dims=32, depth=2, num_heads=2)
T, SIZE, PATCH = 4, 32, 8  # 16 grid cells per frame


def build(**kwargs) -> DARTVideoViT:
    torch.manual_seed(0)
    cfg = dict(type='DARTVideoViT', arch=ARCH, num_frames=T, img_size=SIZE, patch_size=PATCH,
               tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                              scorer=dict(type='ConvScorer', channels=(8, 8))))
    model = MODELS.build(cfg | kwargs)
    model.init_weights()
    return model


def clips(batch: int = 2, frames: int = T) -> torch.Tensor:
    return torch.randn(batch, 3, frames, SIZE, SIZE, generator=torch.Generator().manual_seed(0))


def recorded(model: DARTVideoViT, *args, **kwargs) -> tuple[object, TokenRecord]:
    """The backbone's output and the clip tokens (budgets, importance...) of that forward."""
    with TokenRecorder(model) as recorder:
        out = model(*args, **kwargs)
    return out, recorder.last


@pytest.mark.parametrize('out_type, shape', [
    ('dense', (2, 32, T, SIZE // 16, SIZE // 16)),  # (B, C, T, H/16, W/16) for I3DHead
    ('avg', (2, 32)),  # (B, C) for TimeSformerHead
    ('cls', (2, 32)),
])
def test_output_fits_mmaction_heads(out_type: str, shape: tuple) -> None:
    model = build(out_type=out_type)
    out, record = recorded(model, clips())
    assert isinstance(out, torch.Tensor) and out.shape == shape
    budgets = record.budgets
    assert model.clip_tokens == T * 8
    assert budgets.shape == (2, T) and (budgets.sum(dim=1) == T * 8).all()


def test_several_out_indices_give_a_tuple_at_their_strides() -> None:
    model = build(out_indices=(0, 1), out_strides=(8, 16))
    out = model(clips())
    assert [o.shape for o in out] == [(2, 32, T, 4, 4), (2, 32, T, 2, 2)]
    _, nlc = model.forward_intermediates(clips(), output_fmt='NLC')
    assert [o.shape for o in nlc] == [(2, T * 8, 32)] * 2


def test_gradients_reach_scorer_and_temporal_embedding() -> None:
    model = build()
    model(clips()).square().sum().backward()
    scorer_grad = model.tokenizer.scorer.head.weight.grad
    assert scorer_grad is not None and scorer_grad.abs().sum() > 0  # through the geometry
    assert model.time_embed.grad.abs().sum() > 0
    assert model.tokenizer.proj.weight.grad.abs().sum() > 0


def test_clip_budget_override_and_errors() -> None:
    model = build().eval()
    with torch.no_grad():
        _, record = recorded(model, clips(), num_tokens=45)
    assert (record.budgets.sum(dim=1) == 45).all()
    with pytest.raises(ValueError, match='cannot be split'):
        model(clips(), num_tokens=T * 16 + 1)  # more than the frames can hold
    with pytest.raises(ValueError, match=r'\(B, C, T, H, W\)'):
        model(torch.zeros(2, 3, SIZE, SIZE))


def test_clips_are_tokenized_independently_of_batch_mates() -> None:
    model = build().eval()
    batch = clips(batch=3)
    with torch.no_grad():
        together = model(batch)
        alone = model(batch[1:2])
    torch.testing.assert_close(together[1:2], alone, atol=1e-5, rtol=1e-4)


def test_other_clip_lengths_interpolate_the_temporal_embedding() -> None:
    model = build()
    out = model(clips(frames=6))
    assert out.shape == (2, 32, 6, 2, 2)
    assert model.temporal_embedding(6).shape == (1, 6, 32)


def test_grid_baseline_is_the_same_backbone_with_fixed_budgets() -> None:
    model = build(tokenizer=dict(type='GridTokenizer'), budget_split='uniform')
    out, record = recorded(model, clips())
    assert out.shape == (2, 32, T, 2, 2)
    assert record.budgets.tolist() == [[16] * T] * 2
    assert record.importance is None
    with pytest.raises(ValueError, match="budget_split='uniform'"):
        build(tokenizer=dict(type='GridTokenizer'))


def test_build_time_checks() -> None:
    with pytest.raises(ValueError, match='num_frames'):
        build(num_frames=0)
    with pytest.raises(ValueError, match='out_type'):
        build(out_type='mean')
    with pytest.raises(ValueError, match='with_cls_token'):
        build(out_type='cls', with_cls_token=False)
    with pytest.raises(ValueError, match='min_frame_tokens'):
        build(min_frame_tokens=9)  # above the 8 per frame on average
    with pytest.raises(ValueError, match='more than'):  # per-frame budget above the grid's 16
        build(tokenizer=dict(type='DARTTokenizer', num_tokens=17))


def test_image_checkpoint_initializes_the_video_model(tmp_path: Path) -> None:
    torch.manual_seed(1)
    image = MODELS.build(dict(type='DARTViT', arch=ARCH, img_size=SIZE, patch_size=PATCH,
                              tokenizer=dict(type='DARTTokenizer', num_tokens=8,
                                             scorer=dict(type='ConvScorer', channels=(8, 8)))))
    path = tmp_path / 'image.pth'
    torch.save({'state_dict': image.state_dict()}, path)
    video = build(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    torch.testing.assert_close(video.blocks[1].mlp.fc2.weight, image.blocks[1].mlp.fc2.weight)
    torch.testing.assert_close(video.pos_embed, image.pos_embed)
    assert not video.time_embed.any()  # inflation: the image model at the start


def test_frozen_stages_freeze_the_temporal_embedding() -> None:
    model = build(frozen_stages=1)
    assert not model.time_embed.requires_grad
    assert not model.tokenizer.proj.weight.requires_grad
    assert model.blocks[1].attn.qkv.weight.requires_grad


def test_tubelets_share_a_layout_and_stack_their_frames() -> None:
    model = build(tubelet_size=2, tokenizer=dict(type='GridTokenizer'), budget_split='uniform')
    assert model.tokenizer.proj.weight.shape[1] == 6  # 2 frames x 3 channels
    assert model.time_embed.shape == (1, T // 2, 32)
    batch = clips()
    with torch.no_grad():
        out, record = recorded(model, batch)
        _, clip = model.tokenize_clip(batch)
    assert out.shape == (2, 32, T // 2, 2, 2)  # one map per tubelet
    assert record.budgets.tolist() == [[16] * (T // 2)] * 2
    # tubelet u = frames 2u and 2u+1 stacked frame-major along channels, then the p x p conv
    stacked = batch[:, :, 2:4].transpose(1, 2).reshape(2, 6, SIZE, SIZE)  # tubelet 1
    expected = model.tokenizer.proj(stacked).flatten(2).transpose(1, 2)  # (B, 16, C)
    torch.testing.assert_close(clip.tokens[:, 16:32], expected, atol=1e-5, rtol=1e-4)
    assert (clip.frame_index[:, 16:32] == 1).all()


def test_dart_tubelets_split_the_clip_budget_over_tubelets() -> None:
    model = build(tubelet_size=2)
    out, record = recorded(model, clips())
    assert out.shape == (2, 32, T // 2, 2, 2)
    budgets = record.budgets
    assert model.clip_tokens == (T // 2) * 8
    assert budgets.shape == (2, T // 2) and (budgets.sum(dim=1) == (T // 2) * 8).all()
    assert record.importance.shape == (2, T // 2, 4, 4)


def test_image_checkpoint_inflates_into_a_tubelet_model(tmp_path: Path) -> None:
    torch.manual_seed(1)
    grid = dict(type='GridTokenizer')
    image = MODELS.build(dict(type='DARTViT', arch=ARCH, img_size=SIZE, patch_size=PATCH,
                              tokenizer=grid))
    path = tmp_path / 'image.pth'
    torch.save({'state_dict': image.state_dict()}, path)
    video = build(tubelet_size=2, tokenizer=grid, budget_split='uniform',
                  init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    frame = clips(batch=1)[:, :, 0]  # (1, 3, H, W)
    static = frame[:, :, None].expand(-1, -1, T, -1, -1)  # every frame the same
    with torch.no_grad():
        _, clip = video.tokenize_clip(static)
        image_tokens = image.tokenizer(frame).tokens
    # a tubelet of identical frames embeds exactly as the image model embeds the frame
    torch.testing.assert_close(clip.tokens[:, :16], image_tokens, atol=1e-5, rtol=1e-4)


def test_tubelet_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match='tubelet_size'):
        build(tubelet_size=3)  # does not divide num_frames=4
    model = build(tubelet_size=2)
    with pytest.raises(ValueError, match='tubelet_size=2'):
        model(clips(frames=5))
    with pytest.raises(ValueError, match='in_channels=3'):
        model(torch.zeros(1, 6, T, SIZE, SIZE))


def test_a_config_init_cfg_replaces_the_vit_default() -> None:
    model = build(init_cfg=dict(type='Constant', layer='Linear', val=0.5, bias=0.0))
    weight = model.blocks[0].attn.qkv.weight
    assert torch.all(weight == 0.5)  # not overwritten by the truncated-normal default
    assert not model.time_embed.any()  # embeddings left at zero
    default = build()
    assert float(default.blocks[0].attn.qkv.weight.std()) == pytest.approx(0.02, rel=0.2)


GRID = dict(tokenizer=dict(type='GridTokenizer'), budget_split='uniform')
VARIANTS = {'dart': {}, 'dart-tubelet2': dict(tubelet_size=2), 'grid': GRID,
            'grid-tubelet2': GRID | dict(tubelet_size=2)}


@pytest.mark.parametrize('kwargs', VARIANTS.values(), ids=VARIANTS.keys())
def test_forward_and_backward_read_no_value_back(kwargs: dict) -> None:
    model = build(**kwargs)
    batch = clips()

    def step() -> None:
        model(batch).square().sum().backward()

    counts = count_ops(step)
    assert counts.syncs == 0, counts.sync_ops
    assert model.tokenizer.proj.weight.grad.abs().sum() > 0  # the backward did run


def test_compiles_as_one_graph_and_matches_eager() -> None:
    # the padded path with several budgets per batch; the grid path is a subset of its ops
    model = build(motion_weight=1.0).eval()
    batch = clips()
    compiled = torch.compile(model, fullgraph=True, backend='inductor')
    # installed before the first compiled call, the recorder's hook is traced into the graph
    with torch.no_grad(), TokenRecorder(model) as recorder:
        eager = model(batch)
        budgets = recorder.last.budgets
        assert len(set(budgets.flatten().tolist())) > 1
        out = compiled(batch)
    # 1e-4 relative to the output's scale (elements near zero differ by float reassociation)
    torch.testing.assert_close(out, eager, rtol=1e-4, atol=1e-4 * float(eager.abs().max()))
    assert recorder.last.budgets is not budgets  # the compiled call's own record
    torch.testing.assert_close(recorder.last.budgets, budgets)
