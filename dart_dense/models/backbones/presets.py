"""Named backbone configurations: the DeiT size presets (``ARCH_ZOO``) and the official DART
ImageNet models (:class:`OfficialPresetsMixin`)."""
from typing import Any, Literal, Optional, Union

from mmengine.registry import MODELS

# DeiT presets: embed_dims, depth, num_heads, mlp_ratio
ARCH_ZOO = {
    'tiny': dict(embed_dims=192, depth=12, num_heads=3, mlp_ratio=4.0),
    'small': dict(embed_dims=384, depth=12, num_heads=6, mlp_ratio=4.0),
    'base': dict(embed_dims=768, depth=12, num_heads=12, mlp_ratio=4.0),
}

# The official DART ImageNet models: DeiT arch → MobileNetV3 scorer trunk (DESIGN.md appendix).
OFFICIAL_SCORERS = {'tiny': 'small', 'small': 'large'}


def resolve_arch(arch: Union[str, dict]) -> dict:
    """An ``arch`` argument (preset name or dict) → dict with ``embed_dims``, ``depth``,
    ``num_heads`` (and optionally ``mlp_ratio``); a clear error otherwise."""
    if isinstance(arch, str):
        if arch not in ARCH_ZOO:
            raise ValueError(f'arch must be one of {sorted(ARCH_ZOO)} or a dict, got {arch!r}')
        return ARCH_ZOO[arch]
    missing = {'embed_dims', 'depth', 'num_heads'} - set(arch)
    if missing:
        raise ValueError(f'arch dict is missing {sorted(missing)}')
    return arch


class OfficialPresetsMixin:
    """``official_config`` / ``official``: the configuration of the official DART-T/S ImageNet
    models on a registered backbone class (448 px input, 14×14 partition grid and positional
    table, batch-wide score standardization, corner sampling), which reproduces their
    checkpoints exactly."""

    @classmethod
    def official_config(cls, arch: Literal['tiny', 'small'] = 'small', num_tokens: int = 196,
                        checkpoint: Optional[str] = None, **overrides: Any) -> dict:
        """The config of an official DART ImageNet model (DART-T or DART-S).

        Official parity needs all of: the 448 px nominal input (2× the "224" models), a 14×14
        partition grid and positional table, batch-wide score standardization and corner
        sampling (``official=True``), and the matching MobileNetV3 scorer. With the official
        checkpoint the features equal the official model's (tested against a transcription
        of the official algorithm in float64).

        Args:
            arch: ``'tiny'`` (DeiT-Ti + MobileNetV3-Small scorer) or ``'small'`` (DeiT-S +
                MobileNetV3-Large scorer).
            num_tokens: the budget N (official models: 196; long-sequence fine-tunes 288/392).
            checkpoint: optional path of an official checkpoint (``darvit-sm.pth`` …), loaded
                by ``init_weights`` (``init_cfg`` of type ``Pretrained``).
            **overrides: other backbone arguments (``out_indices``, ``out_strides``…).

        Returns:
            a ``dict(type=<this class>, ...)`` for ``MODELS.build`` or a config's backbone.
        """
        if arch not in OFFICIAL_SCORERS:
            raise ValueError(f'arch must be one of {sorted(OFFICIAL_SCORERS)} (the official DART '
                             f'models), got {arch!r}')
        cfg = dict(
            type=cls.__name__, arch=arch, img_size=448, patch_size=16, pos_grid=14,
            with_cls_token=True,
            tokenizer=dict(type='DARTTokenizer', num_tokens=num_tokens, official=True,
                           grid_size=(14, 14),
                           scorer=dict(type='MobileNetV3Scorer', arch=OFFICIAL_SCORERS[arch])))
        if checkpoint is not None:
            cfg['init_cfg'] = dict(type='Pretrained', checkpoint=checkpoint)
        cfg.update(overrides)
        return cfg

    @classmethod
    def official(cls, arch: Literal['tiny', 'small'] = 'small', num_tokens: int = 196,
                 checkpoint: Optional[str] = None, **overrides: Any):
        """An official DART-T/S model (see :meth:`official_config`), weights initialized
        (from ``checkpoint`` when given)."""
        model = MODELS.build(cls.official_config(arch, num_tokens, checkpoint, **overrides))
        model.init_weights()
        return model
