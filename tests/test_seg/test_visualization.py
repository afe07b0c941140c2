"""Token pictures: geometry mapped onto the picture, drawing, and the batch check of the hook."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from dart_dense.structures import TokenLayout
from dart_dense.utils.token_recorder import TokenRecord
from dart_dense.visualization import (batch_geometry, concat_panels, draw_importance,
                                      draw_token_regions, importance_for_image,
                                      seg_drawing_visualizer, seg_token_figure,
                                      token_boxes_for_image)


def crossing_layout() -> TokenLayout:
    """A 32x32 image in two 16-px bands; token 1 runs from x=20 of band 0 to x=8 of band 1."""
    return TokenLayout(torch.tensor([[0., 16., 32.]]), torch.tensor([[0., 20., 40., 64.]]),
                       (32, 32))


def test_grid_boxes_are_the_patches() -> None:
    layout = TokenLayout.grid(2, (32, 48), 16)
    boxes, ids = token_boxes_for_image(layout, 1)
    assert ids.tolist() == list(range(6))
    assert boxes.tolist()[:4] == [[0, 0, 16, 16], [16, 0, 32, 16], [32, 0, 48, 16],
                                  [0, 16, 16, 32]]


def test_boxes_are_clipped_to_the_image_and_scaled_to_the_picture() -> None:
    # 24x40 image padded to 32x48 for the network, drawn on its 48x80 original
    layout = TokenLayout.grid(1, (32, 48), 16)
    boxes, ids = token_boxes_for_image(layout, 0, valid_hw=(24, 40), out_hw=(48, 80))
    assert ids.tolist() == list(range(6))  # every patch overlaps the image
    assert boxes.max(axis=0).tolist()[2:] == [80, 48]  # nothing drawn in the padding
    assert boxes[5].tolist() == [64, 32, 80, 48]  # [32, 40) x [16, 24) scaled by 2
    # a patch entirely in the padding disappears
    boxes, ids = token_boxes_for_image(layout, 0, valid_hw=(16, 40))
    assert ids.tolist() == [0, 1, 2]


def test_a_token_across_a_band_end_is_two_boxes_of_one_token() -> None:
    boxes, ids = token_boxes_for_image(crossing_layout(), 0)
    assert ids.tolist() == [0, 1, 1, 2]  # tokens 0 and 2 lie in one band each
    by_token = {}
    for box, token in zip(boxes.tolist(), ids.tolist()):
        by_token.setdefault(token, []).append(box)
    assert by_token[1] == [[20, 0, 32, 16], [0, 16, 8, 32]]
    areas = [sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in b) for b in by_token.values()]
    assert sum(areas) == 32 * 32  # the regions tile the image


def test_index_out_of_range_is_rejected() -> None:
    with pytest.raises(ValueError, match='index must be in'):
        token_boxes_for_image(crossing_layout(), 1)


def test_drawing_tints_regions_in_token_colours_and_outlines_them() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    boxes, ids = token_boxes_for_image(crossing_layout(), 0)
    drawn = draw_token_regions(image, boxes, ids, fill_alpha=0.5)
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert (drawn[0, 0] == 255).all()  # outline
    # both rectangles of token 1 carry the same tint, another token another one
    assert (drawn[8, 26] == drawn[24, 4]).all()
    assert not (drawn[8, 26] == drawn[8, 10]).all()
    with pytest.raises(ValueError, match='uint8'):
        draw_token_regions(image.astype(np.float32), boxes, ids)


def test_importance_is_cropped_to_the_image() -> None:
    scores = torch.arange(24.).view(1, 4, 6)
    crop = importance_for_image(scores, 0, input_hw=(64, 96), valid_hw=(32, 40))
    assert crop.shape == (1, 2, 3)  # ceil(32/16) rows, ceil(40/16) columns
    assert torch.equal(crop[0], scores[0, :2, :3])


def test_panels_are_laid_side_by_side_at_the_first_height() -> None:
    row = concat_panels([np.zeros((20, 30, 3), np.uint8), np.zeros((10, 10, 3), np.uint8)])
    assert row.shape == (20, 30 + 4 + 20, 3)


def test_batch_geometry_only_for_the_batch_it_describes() -> None:
    layout = TokenLayout.grid(2, (64, 64), 16)
    scores = torch.rand(2, 4, 4)
    record = TokenRecord(layout, scores)
    found, found_scores = batch_geometry(record, 2, (64, 60))
    assert found is layout and found_scores is scores
    assert batch_geometry(record, 2, (64, 60), with_scores=False) == (layout, None)
    assert batch_geometry(record, 3, (64, 64)) == (None, None)  # another batch
    assert batch_geometry(record, 2, (96, 64)) == (None, None)  # a sliding-window crop
    assert batch_geometry(None, 2, (64, 64)) == (None, None)  # nothing recorded


def test_importance_picture_covers_the_image(recwarn: pytest.WarningsRecorder) -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    importance = torch.zeros(1, 4, 6)
    importance[0, 0, 0] = 1.0  # the top-left cell is the most important
    drawn = draw_importance(image, importance)
    assert drawn.shape == image.shape and drawn.dtype == np.uint8
    assert not (drawn[2, 2] == drawn[38, 58]).all()  # hot corner vs cold corner
    assert not [w for w in recwarn if 'interpolated' in str(w.message)]


@pytest.mark.parametrize('with_scores', [True, False], ids=['dart', 'grid'])
def test_seg_figure_panels(with_scores: bool) -> None:
    visualizer = SegLocalVisualizer(name=f'test_seg_figure_{with_scores}')
    visualizer.set_dataset_meta(['a', 'b'], [[255, 0, 0], [0, 0, 255]])
    sample = SegDataSample(metainfo=dict(img_shape=(32, 48)))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 32, 48, dtype=torch.long))
    sample.pred_sem_seg = PixelData(data=torch.ones(1, 32, 48, dtype=torch.long))
    layout = TokenLayout.grid(1, (32, 48), 16)
    scores = torch.rand(1, 2, 3) if with_scores else None
    image = np.full((32, 48, 3), 128, np.uint8)
    picture = seg_token_figure(visualizer, image, sample, layout, 0, scores, scale=2.0)
    panels = 4 if with_scores else 3  # tokens (| importance) | ground truth | prediction
    assert picture.shape == (64, panels * 96 + (panels - 1) * 4, 3)
    without_gt = seg_token_figure(visualizer, image, sample, None, 0, draw_gt=False)
    assert without_gt.shape == (32, 48, 3)  # no layout, no ground truth: the prediction only
    # mmseg's look: image and palette colour blended by the visualizer's alpha (top-left
    # pixel: no class-name label there)
    blend = np.round(128 * (1 - visualizer.alpha) + np.array([0, 0, 255]) * visualizer.alpha)
    assert np.abs(without_gt[0, 0].astype(int) - blend).max() <= 1


def test_drawing_visualizer_copies_the_look_and_stores_nothing(tmp_path) -> None:
    runner_visualizer = SegLocalVisualizer.get_instance(
        'test_drawing_copy', vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path), alpha=0.5)
    runner_visualizer.set_dataset_meta(classes=['a', 'b'], palette=[[255, 0, 0], [0, 0, 255]])
    drawer = seg_drawing_visualizer(runner_visualizer)
    assert type(drawer) is SegLocalVisualizer and drawer.alpha == 0.5
    assert drawer.dataset_meta['classes'] == ['a', 'b']
    assert SegLocalVisualizer.get_current_instance() is runner_visualizer
    sample = SegDataSample(metainfo=dict(img_shape=(16, 16)))
    sample.pred_sem_seg = PixelData(data=torch.zeros(1, 16, 16, dtype=torch.long))
    picture = seg_token_figure(drawer, np.zeros((16, 16, 3), np.uint8), sample,
                               TokenLayout.grid(1, (16, 16), 8), 0)
    assert picture.shape == (16, 16 + 4 + 16, 3)
    assert not list(tmp_path.rglob('*.png'))  # drawing stored nothing in the backends


@pytest.mark.parametrize('draw', [True, False])
def test_hook_records_only_during_its_val_and_test_loops(draw: bool) -> None:
    from mmengine.registry import MODELS
    from torch import nn

    import dart_dense.models  # noqa: F401  (registers DARTViT)
    from dart_dense.engine.hooks.token_visualization_hook import TokenVisualizationHook

    SegLocalVisualizer.get_instance('test_hook_recording')  # the runner's visualizer
    backbone = MODELS.build(dict(type='DARTViT', arch=dict(embed_dims=16, depth=1, num_heads=2),
                                 img_size=32, patch_size=8,
                                 tokenizer=dict(type='GridTokenizer')))
    runner = SimpleNamespace(model=nn.ModuleDict(dict(backbone=backbone)))
    hook = TokenVisualizationHook(draw=draw)
    for before, after in ((hook.before_val, hook.after_val),
                          (hook.before_test, hook.after_test)):
        before(runner)
        assert len(backbone.tokenizer._forward_hooks) == int(draw)  # nothing when not drawing
        with torch.no_grad():
            backbone(torch.zeros(2, 3, 32, 32))
        if draw:
            assert hook._recorder.last.layout.batch_size == 2
        after(runner)
        assert not backbone.tokenizer._forward_hooks
