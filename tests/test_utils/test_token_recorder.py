"""TokenRecorder: the geometry of the last forward, only while installed; stateless backbones."""
from __future__ import annotations

import pytest
import torch
from mmengine.registry import MODELS
from torch import nn

import dart_dense.models  # noqa: F401  (registers the backbones)
from dart_dense.utils.token_recorder import TokenRecord, TokenRecorder, find_tokenizer

ARCH = dict(embed_dims=32, depth=2, num_heads=2)
DART = dict(type='DARTTokenizer', num_tokens=16, scorer=dict(type='ConvScorer', channels=(4, 8)))


def image_backbone() -> nn.Module:
    torch.manual_seed(0)
    return MODELS.build(dict(type='DARTViT', arch=ARCH, img_size=64, patch_size=8,
                             tokenizer=DART)).eval()


def video_backbone() -> nn.Module:
    torch.manual_seed(0)
    return MODELS.build(dict(type='DARTVideoViT', arch=ARCH, num_frames=4, img_size=32,
                             patch_size=8, tokenizer=dict(DART, num_tokens=8))).eval()


class Segmentor(nn.Module):
    """Stands in for an mmseg/mmdet/mmaction model: the recorder looks at ``.backbone``."""

    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone


@torch.no_grad()
def test_records_the_last_forward_detached_and_only_while_installed() -> None:
    backbone = image_backbone()
    images = torch.randn(2, 3, 48, 64)
    recorder = TokenRecorder(Segmentor(backbone))
    backbone(images)
    assert recorder.last is None and not recorder.installed  # nothing before install
    assert not backbone.tokenizer._forward_hooks  # and nothing registered: no cost
    with recorder:
        backbone(images, num_tokens=12)
        backbone(images[:1], num_tokens=20)
    record = recorder.last
    assert isinstance(record, TokenRecord)
    # the last of the two forwards: one image, 20 tokens, the padded input's pixels
    assert record.layout.batch_size == 1 and record.layout.num_tokens == 20
    assert record.layout.image_hw == (48, 64)
    assert record.scores.shape[0] == 1
    assert record.budgets is None and record.importance is None
    # it is the tokenizer's own geometry
    expected = backbone.tokenizer(images[:1], backbone.pos_table(), num_tokens=20)
    torch.testing.assert_close(record.layout.token_edges, expected.layout.token_edges)
    torch.testing.assert_close(record.scores, expected.scores)
    # removed on exit: later forwards leave the record alone
    assert not recorder.installed and not backbone.tokenizer._forward_hooks
    backbone(images)
    assert recorder.last is record
    assert not hasattr(backbone, 'side_outputs')  # the backbone keeps no state


def test_record_is_detached_from_the_graph() -> None:
    backbone = image_backbone().train()
    with TokenRecorder(backbone) as recorder:  # a backbone works as well as a model
        backbone(torch.randn(1, 3, 64, 64))
    assert not recorder.last.layout.requires_grad()
    assert not recorder.last.scores.requires_grad


@torch.no_grad()
def test_video_records_the_clip_tokens() -> None:
    backbone = video_backbone()
    assert find_tokenizer(backbone) is backbone.clip_tokenizer  # not the frame tokenizer
    with TokenRecorder(Segmentor(backbone)) as recorder:
        backbone(torch.randn(2, 3, 4, 32, 32), num_tokens=30)
    record = recorder.last
    assert record.budgets.shape == (2, 4) and (record.budgets.sum(dim=1) == 30).all()
    assert record.importance.shape == (2, 4, 4, 4)
    assert record.frame_index.shape == (2, 30)
    assert record.layout.batch_size == 8  # the B·T frames' padded layout
    assert torch.equal(record.layout.counts, record.budgets.flatten())
    assert record.scores is None
    assert not hasattr(backbone, 'side_outputs')


def test_model_without_tokenizer() -> None:
    cnn = Segmentor(nn.Conv2d(3, 4, 3))
    assert find_tokenizer(cnn) is None
    with pytest.raises(ValueError, match='no token geometry to record'):
        TokenRecorder(cnn)
    with TokenRecorder(cnn, strict=False) as recorder:  # the hooks' way: a no-op
        cnn.backbone(torch.zeros(1, 3, 8, 8))
    assert recorder.last is None and not recorder.installed


@torch.no_grad()
def test_compiled_backbone_records_when_installed_before_tracing() -> None:
    """Dynamo traces the hook into the graph (and recompiles when it is removed); a hook
    added after a graph was traced without one is not seen (torch's default
    ``skip_nnmodule_hook_guards``): install the recorder before the first compiled call."""
    backbone = image_backbone()
    compiled = torch.compile(backbone, fullgraph=True, backend='eager')
    images = torch.randn(2, 3, 48, 64)
    with TokenRecorder(backbone) as recorder:
        compiled(images)
        first = recorder.last
        compiled(images.flip(-1))
    assert first is not None and recorder.last is not first
    assert recorder.last.layout.batch_size == 2
