"""DARTViT + adapter swapped into *stock* mmseg / mmdet configs: only backbone and neck change."""
import torch
from mmengine.hub import get_config  # reads configs shipped inside installed packages
from mmengine.registry import init_default_scope

import dart_dense.models  # noqa: F401

TINY_DART = dict(type='DARTViT', arch=dict(embed_dims=48, depth=2, num_heads=2), img_size=64,
                 patch_size=16, out_indices=(0, 1, 1, 1),
                 tokenizer=dict(type='DARTTokenizer', token_ratio=0.5,
                                scorer=dict(type='ConvScorer', channels=(8, 8))))


def _total_loss(losses: dict) -> torch.Tensor:
    total = 0
    for key, value in losses.items():
        if 'loss' in key:
            total = total + (sum(value) if isinstance(value, list) else value)
    return total


def test_stock_mmseg_upernet_forward_backward():
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    init_default_scope('mmseg')
    cfg = get_config('mmseg::vit/vit_deit-s16_upernet_8xb2-160k_ade20k-512x512.py')
    model_cfg = cfg.model
    model_cfg.pretrained = None
    model_cfg.backbone = dict(TINY_DART, out_strides=(4, 8, 16, 32))
    model_cfg.neck = dict(type='TokenPyramid', in_channels=[48] * 4,
                          out_channels=model_cfg.decode_head.in_channels[0])
    model_cfg.data_preprocessor.size = (64, 64)
    model = MODELS.build(model_cfg)
    samples = []
    for _ in range(2):
        sample = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 150, (1, 64, 64))))
        sample.set_metainfo(dict(img_shape=(64, 64), ori_shape=(64, 64)))
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)] * 2,
             data_samples=samples), True)
    losses = model(**data, mode='loss')
    _total_loss(losses).backward()
    assert torch.isfinite(_total_loss(losses))
    assert model.backbone.tokenizer.scorer.head.weight.grad is not None


def test_stock_mmdet_mask_rcnn_forward_backward():
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    init_default_scope('mmdet')
    cfg = get_config('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py')
    model_cfg = cfg.model
    model_cfg.backbone = dict(TINY_DART, img_size=128, out_indices=-1, out_strides=16)
    model_cfg.neck = dict(type='SimplePyramid', in_channels=48,
                          out_channels=model_cfg.neck.out_channels, num_outs=5)
    model = MODELS.build(model_cfg)
    samples = []
    for hw in ((128, 96), (96, 128)):  # different aspect ratios, one padded batch
        sample = DetDataSample()
        masks = torch.zeros(1, *hw, dtype=torch.uint8)
        masks[:, 20:60, 30:70] = 1
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[30., 20., 70., 60.]]), labels=torch.tensor([3]),
            masks=BitmapMasks(masks.numpy(), *hw))
        sample.set_metainfo(dict(img_shape=hw, ori_shape=hw, pad_shape=(128, 128),
                                 batch_input_shape=(128, 128), scale_factor=(1.0, 1.0)))
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, *s.img_shape), dtype=torch.uint8) for s in samples]
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model(**data, mode='loss')
    total = _total_loss(losses)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.blocks[0].attn.qkv.weight.grad is not None
