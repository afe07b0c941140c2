"""Random input batches with the data samples each task's heads need (and ground truth for a
loss), the same for every model measured in one run.

Inputs are already normalized (``randn``; the data preprocessor is not run). Hand-written
rather than ``mmdet.testing.demo_mm_inputs`` / ``mmaction.testing``: those make raw uint8
images for the data preprocessor, exist per toolbox with different signatures and seed numpy
globally; here one torch generator makes every task's batch.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .configs import Task

#: the input shape of each task when ``--shape`` is not given: (H, W) or (T, H, W)
DEFAULT_SHAPES: dict[str, tuple[int, ...]] = {
    'seg': (512, 512), 'det': (800, 1344), 'video': (8, 224, 224)}
#: ground-truth boxes per detection image
_NUM_DET_BOXES = 3


def make_batch(model: nn.Module, task: Task, shape: Sequence[int], batch_size: int,
               device: str | torch.device = 'cpu', with_gt: bool = False,
               seed: int = 0) -> tuple[Tensor, list]:
    """A random, already normalized batch and its data samples.

    Args:
        model: the built model (reads the number of classes and the video input layout).
        task: 'seg' | 'det' | 'video'.
        shape: (H, W) for images, (T, H, W) for video.
        batch_size: B.
        device: where the tensors go.
        with_gt: add random ground truth (needed for ``mode='loss'``).
        seed: generator seed (the same batch for every model).

    Returns:
        inputs: (B, 3, H, W) images; for video (B, 1, 3, T, H, W) ('NCTHW' recognizers) or
            (B, T, 3, H, W) ('NCHW', 2-D recognizers).
        data_samples: one per batch element with the metainfo the heads need.
    """
    gen = torch.Generator().manual_seed(seed)
    if task == 'video':
        if len(shape) != 3:
            raise ValueError(f'video configs need --shape T H W, got {list(shape)}')
        t, h, w = shape
        layout = getattr(getattr(model, 'data_preprocessor', None), 'format_shape', 'NCTHW')
        size = (batch_size, 1, 3, t, h, w) if layout == 'NCTHW' else (batch_size, t, 3, h, w)
    else:
        if len(shape) != 2:
            raise ValueError(f'image configs need --shape H W, got {list(shape)}')
        h, w = shape
        size = (batch_size, 3, h, w)
    inputs = torch.randn(size, generator=gen).to(device)
    make_sample = {'seg': seg_sample, 'det': det_sample, 'video': video_sample}[task]
    samples = [make_sample(model, (h, w), with_gt, gen) for _ in range(batch_size)]
    return inputs, [s.to(device) for s in samples]


def image_meta(hw: tuple[int, int]) -> dict[str, Any]:
    """Metainfo of an unpadded, unscaled, unflipped image of size ``hw`` = (H, W)."""
    return dict(img_shape=hw, ori_shape=hw, pad_shape=hw, batch_input_shape=hw,
                scale_factor=(1.0, 1.0), padding_size=[0, 0, 0, 0], flip=False)


def seg_sample(model: nn.Module, hw: tuple[int, int], with_gt: bool,
               gen: torch.Generator) -> Any:
    """``SegDataSample``; with ground truth: a random (1, H, W) label map."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    sample = SegDataSample(metainfo=image_meta(hw))
    if with_gt:
        labels = torch.randint(0, model.decode_head.num_classes, (1, *hw), generator=gen)
        sample.gt_sem_seg = PixelData(data=labels)
    return sample


def det_sample(model: nn.Module, hw: tuple[int, int], with_gt: bool,
               gen: torch.Generator) -> Any:
    """``DetDataSample``; with ground truth: 3 random boxes, their labels and box masks."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData

    sample = DetDataSample(metainfo=image_meta(hw))
    if not with_gt:
        return sample
    h, w = hw
    xy = torch.rand(_NUM_DET_BOXES, 2, generator=gen) * torch.tensor([w * 0.6, h * 0.6])
    wh = (torch.rand(_NUM_DET_BOXES, 2, generator=gen) * 0.3 + 0.1) * torch.tensor([w, h])
    boxes = torch.cat([xy, xy + wh], dim=1)  # (M, 4) x1 y1 x2 y2
    labels = torch.randint(0, det_num_classes(model), (_NUM_DET_BOXES,), generator=gen)
    x1, y1, x2, y2 = boxes.long()[:, :, None, None].unbind(1)  # each (M, 1, 1)
    ys, xs = torch.arange(h)[:, None], torch.arange(w)[None]
    masks = (ys >= y1) & (ys < y2) & (xs >= x1) & (xs < x2)  # (M, H, W): the box area
    sample.gt_instances = InstanceData(
        bboxes=boxes, labels=labels, masks=BitmapMasks(masks.to(torch.uint8).numpy(), h, w))
    sample.ignored_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                            labels=torch.zeros(0, dtype=torch.long))
    return sample


def video_sample(model: nn.Module, hw: tuple[int, int], with_gt: bool,
                 gen: torch.Generator) -> Any:
    """``ActionDataSample``; with ground truth: one random class label."""
    from mmaction.structures import ActionDataSample

    sample = ActionDataSample(metainfo=image_meta(hw))
    if with_gt:
        sample.set_gt_label(torch.randint(0, model.cls_head.num_classes, (1,), generator=gen))
    return sample


def det_num_classes(model: nn.Module) -> int:
    """Number of classes of a detector's (first) box head."""
    for path in ('roi_head.bbox_head', 'bbox_head', 'decode_head'):
        obj = model
        for name in path.split('.'):
            obj = getattr(obj, name, None)
        if obj is None:
            continue
        if isinstance(obj, nn.ModuleList):  # cascade heads
            obj = obj[0]
        if hasattr(obj, 'num_classes'):
            return int(obj.num_classes)
    raise ValueError('cannot find num_classes in the detector heads')
