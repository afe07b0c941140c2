"""``LN2d``: timm's ``LayerNorm2d`` (LayerNorm over the channels of an NCHW map) registered in
mmengine's root MODELS, so any mmseg/mmdet/mmaction module accepts ``norm_cfg=dict(type='LN2d')``
(ViTDet-style necks need it; mmcv registers none)."""
from mmengine.registry import MODELS
from timm.layers import LayerNorm2d

# mmcv's build_norm_layer names the layer 'ln' (LayerNorm2d subclasses nn.LayerNorm), so the
# state-dict keys of ConvModule norms are those of mmdet's and mmpretrain's LN2d
MODELS.register_module(name='LN2d', module=LayerNorm2d)

__all__ = ['LayerNorm2d']
