"""Layer-wise learning-rate decay: the ViT fine-tuning recipe of BEiT / MAE (mmseg's ViT configs,
0.65-0.9) and ViTDet (0.7), for any backbone that reports its layers.

Written here, not taken from the toolboxes: mmseg's ``LearningRateDecayOptimizerConstructor`` and
``LayerDecayOptimizerConstructor`` parse BEiT / ConvNeXt / MAE parameter names, and mmpretrain's
``LearningRateDecayOptimWrapperConstructor`` calls ``get_layer_depth`` on the top-level model (a
segmentor or detector has none) and would add mmpretrain, with its own mmcv window, as a
dependency. This one asks the backbone, as mmpretrain's does, and keeps every rule of mmengine's
default constructor.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Optional

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn


def find_layered_module(model: nn.Module) -> tuple[str, nn.Module]:
    """The outermost module of ``model`` with a ``get_layer_depth`` method (the backbone), and
    its name prefix (``'backbone.'``; ``''`` for the model itself)."""
    for name, module in model.named_modules():
        if callable(getattr(module, 'get_layer_depth', None)):
            return (f'{name}.' if name else ''), module
    raise TypeError(
        f'paramwise_cfg.layer_decay_rate needs a backbone with a get_layer_depth(param_name, '
        f'prefix) method (DARTViT, DARTVideoViT); no module of {type(model).__name__} has one')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, then a learning-rate scale per backbone layer.

    The parameter groups are built by mmengine's rules first (``paramwise_cfg`` keys
    ``custom_keys``, ``norm_decay_mult``, ``bias_decay_mult`` … keep their meaning). Then every
    parameter's learning rate is multiplied by ``layer_decay_rate ** (num_layers - 1 - layer)``,
    where ``(layer, num_layers) = backbone.get_layer_depth(name, prefix)`` (mmpretrain's
    convention: embeddings 0, block i → i + 1, final norm, neck and heads ``num_layers - 1``,
    i.e. the full learning rate), and the names the backbone lists in ``no_weight_decay()``
    (positional tables, class token) get no weight decay.

    Config::

        optim_wrapper = dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
            constructor='LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.65))

    ``paramwise_cfg.layer_decay_rate`` (required): the per-layer factor, in (0, 1]. Each
    parameter group also records its ``layer_id`` (as mmpretrain's); a summary per layer is
    logged when the optimizer is built.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        rate = self.paramwise_cfg.get('layer_decay_rate')
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError('LayerDecayOptimWrapperConstructor needs paramwise_cfg.'
                             f'layer_decay_rate, a number in (0, 1]; got {rate!r}')
        self.layer_decay_rate = float(rate)

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: Optional[int | float] = None) -> None:
        """mmengine's groups for ``module`` (it recurses through this method with a prefix);
        at the top level the layer scales are applied to all of them."""
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix == '':
            self._scale_by_layer(params, module)

    def _scale_by_layer(self, params: list[dict], model: nn.Module) -> None:
        prefix, backbone = find_layered_module(model)
        names = {id(param): name for name, param in model.named_parameters()}
        no_decay = getattr(backbone, 'no_weight_decay', None)
        no_decay = {prefix + name for name in no_decay()} if callable(no_decay) else set()
        counts: dict[int, int] = defaultdict(int)
        num_layers = 1
        for group in params:
            for param in group['params']:  # mmengine: one parameter per group
                name = names[id(param)]
                layer, num_layers = backbone.get_layer_depth(name, prefix)
                group['lr'] = group.get('lr', self.base_lr) * self._scale(layer, num_layers)
                group['layer_id'] = layer
                if name in no_decay:
                    group['weight_decay'] = 0.0
                counts[layer] += 1
        print_log(f'layer-wise lr decay {self.layer_decay_rate} ({prefix or "model"}): ' +
                  ', '.join(f'layer {layer} x{self._scale(layer, num_layers):.3g} '
                            f'({count} tensors)' for layer, count in sorted(counts.items())),
                  logger='current')

    def _scale(self, layer: int, num_layers: int) -> float:
        """Learning-rate factor of ``layer`` (the last layer, ``num_layers - 1``, gets 1)."""
        return self.layer_decay_rate ** (num_layers - 1 - layer)
