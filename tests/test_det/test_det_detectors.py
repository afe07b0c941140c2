"""DART detectors on padded batches: training and prediction steps, padding-aware budget."""
from __future__ import annotations

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

import dart_dense.models  # noqa: F401  (registers the classes)
from dart_dense.models.detectors import valid_sizes
from dart_dense.models.tokenizers.importance import valid_fraction
from dart_dense.utils.token_recorder import TokenRecorder

DEMO = 'mask-rcnn_dart-t_fpn_demo.py'
GRID_DEMO = 'mask-rcnn_deit-t_fpn_demo.py'
LOSS_KEYS = ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask')


def build(cfg: Config) -> torch.nn.Module:
    from mmdet.registry import MODELS

    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def dataset(cfg: Config, split: str):
    from mmdet.registry import DATASETS

    return DATASETS.build(cfg[f'{split}_dataloader'].dataset)


@pytest.fixture(scope='module')
def demo_cfg(tiny_det_config) -> Config:
    return tiny_det_config(DEMO)


@pytest.fixture(scope='module')
def train_set(demo_cfg: Config):
    return dataset(demo_cfg, 'train')


@pytest.fixture(scope='module')
def val_batch(demo_cfg: Config) -> dict:
    """A landscape (160x240) and a portrait (240x160) validation image in one batch."""
    val = dataset(demo_cfg, 'val')
    return pseudo_collate([val[0], val[1]])


def train_step(model: torch.nn.Module, cfg: Config, items: list) -> dict:
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    return model.train_step(pseudo_collate(items), wrapper)


@pytest.mark.parametrize('name', [DEMO, GRID_DEMO])
def test_train_and_predict_on_a_padded_batch_of_two_aspect_ratios(name, tiny_det_config,
                                                                  train_set, val_batch) -> None:
    cfg = tiny_det_config(name)
    model = build(cfg)
    items = [train_set[0], train_set[1]]  # 160x240 and 240x160, resized to fit 256x256
    data = model.data_preprocessor(pseudo_collate(items), True)
    assert data['inputs'].shape == (2, 3, 256, 256)  # padded to the batch's bounding size
    assert sorted(s.img_shape for s in data['data_samples']) == [(171, 256), (256, 171)]

    block = model.backbone.blocks[0].attn.qkv.weight
    before = block.detach().clone()
    logs = train_step(model, cfg, items)
    for key in LOSS_KEYS:
        assert torch.isfinite(logs[key]).all(), (key, logs[key])
    assert logs['loss_mask'] > 0 and logs['loss_rpn_cls'] > 0
    assert not torch.equal(before, block.detach())  # the backbone was trained

    model.eval()
    with torch.no_grad(), TokenRecorder(model) as recorder:
        results = model.test_step(val_batch)
    assert len(results) == 2
    for result in results:
        height, width = result.ori_shape
        pred = result.pred_instances
        # masks are pasted back at the original size of each image (padding removed)
        assert pred.masks.shape[1:] == (height, width)
        assert len(pred.bboxes) == len(pred.scores) == len(pred.labels) == len(pred.masks)
        if len(pred.bboxes):
            assert (pred.bboxes[:, 0::2] <= width + 1e-3).all()
            assert (pred.bboxes[:, 1::2] <= height + 1e-3).all()
            assert (pred.labels < 6).all()
    # the padded batch was tokenized, its padding at the floor importance (DART)
    record = recorder.last
    assert record.layout.image_hw == (256, 256) and record.layout.batch_size == 2
    if record.scores is not None:
        shapes = [r.img_shape for r in results]
        valid = torch.tensor(shapes, dtype=torch.float32)
        padded = valid_fraction(valid, tuple(record.scores.shape[-2:]), (256, 256)) == 0
        assert padded.any() and torch.allclose(record.scores[padded], torch.tensor(0.1))


def test_an_image_without_annotations_trains(demo_cfg: Config, train_set) -> None:
    empty = train_set[len(train_set) - 1]  # the demo data's last training image is empty
    assert len(empty['data_samples'].gt_instances) == 0
    model = build(demo_cfg)
    for items in ([empty], [empty, train_set[0]]):
        logs = train_step(model, demo_cfg, items)
        for key in LOSS_KEYS:
            assert torch.isfinite(logs[key]).all(), (key, logs[key])


def test_single_stage_detector_trains_on_a_padded_batch(tiny_det_config, train_set) -> None:
    cfg = tiny_det_config('retinanet_dart-s_fpn_1x_coco.py')
    # narrow stock head and a parameter-free scorer: the test is about the detector
    cfg.model.backbone.tokenizer.scorer = dict(type='GradientEnergyScorer')
    cfg.model.neck.out_channels = 32
    cfg.model.bbox_head.update(in_channels=32, feat_channels=32, stacked_convs=1)
    model = build(cfg)
    logs = train_step(model, cfg, [train_set[0], train_set[1]])
    assert {'loss_cls', 'loss_bbox'} <= set(logs)
    assert all(torch.isfinite(logs[key]).all() for key in ('loss_cls', 'loss_bbox'))


def _tokens_in_padding(layout, valid_hw: torch.Tensor) -> torch.Tensor:
    """(B,) tokens spent in the padding, each counted by the fraction of its area there
    (a token that wraps from a band's padded end to the next band's start counts by area)."""
    boxes, exists = layout.token_boxes()
    x1, y1, x2, y2 = boxes.unbind(-1)
    h, w = valid_hw[:, 0, None, None], valid_hw[:, 1, None, None]
    inside = ((torch.minimum(x2, w) - x1).clamp_min(0) *
              (torch.minimum(y2, h) - y1).clamp_min(0) * exists).sum(-1)
    padded = layout.token_areas() - inside
    return (padded / layout.token_areas()).sum(1)


def _textured_padded_batch(model, items: list, grid_aligned: bool):
    """The preprocessed batch with noise in its padding, its samples and (B, 2) valid sizes.

    ``grid_aligned`` shrinks the valid sizes to multiples of the partition cell (8 px) so
    that no cell is partly image and partly padding.
    """
    data = model.data_preprocessor(pseudo_collate(items), False)
    inputs, samples = data['inputs'], data['data_samples']
    if grid_aligned:
        cell = model.backbone.tokenizer.grid_stride
        for sample in samples:
            h, w = sample.img_shape
            sample.set_metainfo(dict(img_shape=(h // cell * cell, w // cell * cell)))
    valid = valid_sizes(inputs, samples)
    pad = torch.ones_like(inputs[:, :1], dtype=torch.bool)
    for i, (h, w) in enumerate(valid.long().tolist()):
        pad[i, :, :h, :w] = False
    # busy texture in the padding: without the valid sizes it would attract tokens
    generator = torch.Generator().manual_seed(0)
    noise = 3 * torch.randn(inputs.shape, generator=generator)
    return torch.where(pad, noise, inputs), samples, valid


@pytest.mark.parametrize('grid_aligned', [True, False])
def test_padded_area_gets_no_more_than_its_floor_share_of_tokens(demo_cfg: Config, train_set,
                                                                 grid_aligned: bool) -> None:
    model = build(demo_cfg).eval()
    inputs, samples, valid = _textured_padded_batch(
        model, [train_set[0], train_set[1]], grid_aligned)  # 171x256 and 256x171 in 256x256
    tokenizer = model.backbone.tokenizer
    image_hw = tuple(inputs.shape[-2:])
    with torch.no_grad(), TokenRecorder(model) as recorder:
        model.extract_feat(inputs)  # no data samples: the whole padded image counts
        unaware = recorder.last
        model.predict(inputs, samples)  # the detector passes img_shape as valid_hw
        aware = recorder.last
    num_tokens = aware.layout.num_tokens
    assert num_tokens == tokenizer.num_tokens_for(image_hw) == unaware.layout.num_tokens

    scores = aware.scores  # (B, h, w) importance on the partition grid
    total = scores.sum((1, 2))
    padded = 1 - valid_fraction(valid, tuple(scores.shape[-2:]), image_hw)  # per cell
    full, partial = padded == 1, (padded > 0) & (padded < 1)
    assert full.any(dim=(1, 2)).all()
    assert torch.allclose(scores[full], torch.full_like(scores[full], tokenizer.score_floor))
    assert bool(partial.any()) != grid_aligned
    # the padding's floor share of the importance mass; cells that are partly image (only
    # when the valid size is not a multiple of the cell) may add at most their own mass
    floor_share = tokenizer.score_floor * padded.sum((1, 2)) / total
    boundary_share = (scores * partial).sum((1, 2)) / total
    spent = _tokens_in_padding(aware.layout, valid)
    # The token intervals split the strip by mass, so the mass they hold in the padding is at
    # most its share (row bands take the mean density of their rows). Counted by area, only
    # the tokens across the padding's edges differ: per band the one across the image /
    # padding column and the one wrapping past the band end, plus the tokens of the one band
    # that crosses the image / padding row.
    layout = aware.layout
    band_of_edge = (layout.token_edges[:, 1:-1] / image_hw[1]).floor().long()
    tokens_per_band = torch.stack([torch.bincount(e, minlength=layout.num_rows)
                                   for e in band_of_edge])
    slack = 2 * layout.num_rows + tokens_per_band.max(1).values
    assert (spent <= num_tokens * (floor_share + boundary_share) + slack).all(), \
        (spent, num_tokens * floor_share, num_tokens * boundary_share, slack)
    assert (spent < num_tokens * padded.mean((1, 2))).all()  # fewer than a fixed grid's

    # without the valid sizes the textured padding takes more than a fixed grid's share
    spent_unaware = _tokens_in_padding(unaware.layout, valid)
    assert (spent_unaware > num_tokens * padded.mean((1, 2))).all()
    assert (spent_unaware > 3 * spent).all(), (spent_unaware, spent)


def test_valid_sizes_from_data_samples() -> None:
    from mmdet.structures import DetDataSample

    inputs = torch.zeros(2, 3, 64, 96)
    samples = [DetDataSample(metainfo=dict(img_shape=(40, 96))),
               DetDataSample(metainfo=dict(img_shape=(64, 100)))]  # cropped batch: clamped
    assert valid_sizes(inputs, samples).tolist() == [[40., 96.], [64., 96.]]
    assert valid_sizes(inputs, None) is None
    assert valid_sizes(inputs, [DetDataSample(), DetDataSample()]) is None
    with pytest.raises(ValueError, match='3 data samples for a batch of 2'):
        valid_sizes(inputs, samples + samples[:1])


def test_backbone_without_valid_sizes_is_refused(demo_cfg: Config) -> None:
    from mmdet.registry import MODELS

    cfg = demo_cfg.model.copy()
    cfg.backbone = dict(type='ResNet', depth=18, out_indices=(0, 1, 2, 3))
    cfg.neck.in_channels = [64, 128, 256, 512]
    with pytest.raises(ValueError, match='ResNet.forward takes no valid_hw'):
        MODELS.build(cfg)
