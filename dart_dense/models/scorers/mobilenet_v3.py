"""The official DART scorer: a frozen MobileNetV3 trunk and a per-location MLP."""
import copy
import logging
import warnings
from typing import Literal, Optional

import torch
from mmengine.logging import print_log
from mmengine.registry import MODELS
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .base_scorer import BaseScorer

# torchvision MobileNetV3 trunk depth and width used by the official DART models.
_TRUNKS = {
    'small': ('mobilenet_v3_small', 11, 96),   # DeiT-Ti scorer
    'large': ('mobilenet_v3_large', 15, 160),  # DeiT-S/B scorer
}


class UntrainedTrunkWarning(UserWarning):
    """A frozen scorer trunk received no weights: its scores are near-constant."""


def fold_batch_norms(trunk: nn.Module) -> nn.Module:
    """A frozen copy of a conv trunk with every ``Conv2d → BatchNorm2d`` pair of its
    ``nn.Sequential`` s folded into the conv (eval statistics), channels-last.

    torchvision's ``Conv2dNormActivation`` is such a Sequential; torch's ``fuse_conv_bn_eval``
    does the arithmetic. A frozen BatchNorm is a fixed affine map, so the copy computes the same
    function with one operator (one launch) fewer per convolution.
    """
    folded = copy.deepcopy(trunk).eval().requires_grad_(False)
    for seq in [m for m in folded.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            if isinstance(seq[i], nn.Conv2d) and isinstance(seq[i + 1], nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(seq[i], seq[i + 1])
                seq[i + 1] = nn.Identity()
    return folded.to(memory_format=torch.channels_last)


def _refold_after_load(scorer: 'MobileNetV3Scorer', incompatible_keys) -> None:
    """load_state_dict post-hook (module-level: a deep copy of the scorer stays consistent)."""
    scorer.fold_trunk()


def _note_trunk_loaded(module: 'MobileNetV3Scorer', state_dict: dict, prefix: str,
                       *args) -> None:
    """load_state_dict pre-hook: remember that a state dict brought ``features.*`` weights
    (a full DART checkpoint, ``load_from``, resume), whichever module it was loaded into."""
    if any(key.startswith(prefix + 'features.') for key in state_dict):
        if module.trunk_source is None and module.frozen:
            # e.g. the runner's load_from / resume after init_weights warned
            print_log('MobileNetV3Scorer: a loaded state dict brought the frozen trunk its '
                      'weights (any earlier warning about an untrained trunk is resolved)',
                      logger='current')
        module.trunk_source = 'state_dict'


class ScoreMLP(nn.Module):
    """Per-location MLP C → C → 1 on NHWC features (keys ``net.0``, ``net.2`` as official)."""

    def __init__(self, channels: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(channels, channels), nn.GELU(),
                                 nn.Linear(channels, 1))

    def forward(self, feats: Tensor) -> Tensor:
        """(B, C, h, w) → (B, 1, h, w)."""
        return self.net(feats.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


@MODELS.register_module()
class MobileNetV3Scorer(BaseScorer):
    """Frozen torchvision MobileNetV3 ``features[:k]`` trunk + trainable MLP, as official DART.

    Args:
        arch: ``'small'`` (features[:11], 96 ch) or ``'large'`` (features[:15], 160 ch).
        checkpoint: optional local path to ImageNet weights of the torchvision model (keys
            ``features.*``; other keys are ignored). Loaded with ``weights_only=True``. Without
            it the trunk is randomly initialized (useful for tests, or when a full DART
            checkpoint provides the trunk later).
        frozen: keep the trunk in eval mode without gradients (official behaviour). A frozen
            trunk runs as a BatchNorm-folded, channels-last copy (:func:`fold_batch_norms`),
            refreshed whenever weights are loaded or the module is moved or cast; the state
            dict keeps the torchvision layout.
            ``frozen=False`` trains the trunk, from scratch when no weights are given.
        input_scale: see :class:`BaseScorer`; the official code uses 1.0.

    A frozen trunk needs ImageNet weights: a random one gives near-constant scores
    (coefficient of variation ~8e-4 at 512²), and the partition is then decided by rounding
    noise. Its weights come from ``checkpoint``, from a full DART checkpoint loaded into the
    backbone (``init_cfg=dict(type='Pretrained', ...)``, which carries the trunk), or from any
    later ``load_state_dict`` holding ``features.*`` keys; :meth:`init_weights` warns loudly
    (:class:`UntrainedTrunkWarning`) when none of them has reached the trunk.
    """

    def __init__(self, arch: Literal['small', 'large'] = 'large',
                 checkpoint: Optional[str] = None, frozen: bool = True,
                 input_scale: float = 1.0, init_cfg: Optional[dict] = None):
        super().__init__(input_scale=input_scale, init_cfg=init_cfg)
        if arch not in _TRUNKS:
            raise ValueError(f"arch must be one of {sorted(_TRUNKS)}, got {arch!r}")
        import torchvision  # imported lazily: only this scorer needs it

        name, depth, channels = _TRUNKS[arch]
        self.features = getattr(torchvision.models, name)(weights=None).features[:depth]
        self.mlp = ScoreMLP(channels)
        self.frozen = frozen
        self.trunk_source: Optional[str] = None  # where the trunk weights came from
        # the private spelling: the public one needs torch>=2.5, OpenMMLab's mmcv<2.2 wheels
        # stop at torch 2.1
        self._register_load_state_dict_pre_hook(_note_trunk_loaded, with_module=True)
        if checkpoint is not None:
            self.load_trunk(checkpoint)
        if frozen:
            self.features.requires_grad_(False)
            self.features.eval()
        self.register_load_state_dict_post_hook(_refold_after_load)
        self.fold_trunk()

    def fold_trunk(self) -> None:
        """(Re)build the folded copy of a frozen trunk from the current weights."""
        # kept out of the module tree (object.__setattr__): not in state_dict, no parameters
        object.__setattr__(self, 'folded_features',
                           fold_batch_norms(self.features) if self.frozen else None)

    def _apply(self, fn, recurse: bool = True) -> 'MobileNetV3Scorer':
        # .to()/.cuda()/.half() reach registered modules only: refold from the moved trunk
        super()._apply(fn, recurse)
        if getattr(self, 'folded_features', None) is not None:
            self.fold_trunk()
        return self

    def load_trunk(self, path: str) -> None:
        """Load ``features.*`` weights of a torchvision MobileNetV3 checkpoint (local file)."""
        from dart_dense.utils.checkpoint import load_checkpoint_file

        state = load_checkpoint_file(path)
        state = state.get('state_dict', state.get('model', state))
        # a prefix filter, not mmengine's load_checkpoint(revise_keys=...): that renames keys
        # (the classifier's would stay) and reads files by a plain torch.load (safety = torch's
        # default), not load_checkpoint_file
        trunk = {k[len('features.'):]: v for k, v in state.items() if k.startswith('features.')}
        own = self.features.state_dict()
        trunk = {k: v for k, v in trunk.items() if k in own}
        missing = sorted(set(own) - set(trunk))
        if missing:
            raise KeyError(f'{path}: missing MobileNetV3 trunk weights {missing[:8]}'
                           f'{"..." if len(missing) > 8 else ""}')
        self.features.load_state_dict(trunk)
        self.fold_trunk()
        self.trunk_source = path
        print_log(f'MobileNetV3Scorer: loaded trunk weights from {path}', logger='current')

    def init_weights(self) -> None:
        super().init_weights()
        self.fold_trunk()  # an init_cfg may have rewritten the trunk in place
        self.check_trunk_weights()

    def check_trunk_weights(self) -> None:
        """Warn loudly when the trunk is frozen and has received no weights.

        Called by :meth:`init_weights`, and by ``DARTViT.init_weights`` after it loaded a
        pretrained checkpoint (which may or may not carry the trunk: timm/DeiT ones do not).
        """
        if not self.frozen or self.trunk_source is not None:
            return
        message = (
            'MobileNetV3Scorer: the frozen MobileNetV3 trunk has no pretrained weights, so its '
            'importance scores are near-constant and the token partition is decided by '
            'rounding noise. Give it ImageNet weights with '
            "`model.backbone.tokenizer.scorer.checkpoint=PATH` (torchvision MobileNetV3 "
            "weights), or load a full DART checkpoint with `model.backbone.init_cfg=dict("
            "type='Pretrained', checkpoint=PATH)`; or train the trunk from scratch with "
            '`model.backbone.tokenizer.scorer.frozen=False`. (A checkpoint loaded later by '
            '`load_from` / `--resume` that holds the trunk also fixes this.)')
        print_log(message, logger='current', level=logging.WARNING)
        warnings.warn(message, UntrainedTrunkWarning, stacklevel=2)

    def train(self, mode: bool = True) -> 'MobileNetV3Scorer':
        super().train(mode)
        if self.frozen:  # frozen BN statistics, as in the official code
            self.features.eval()
        return self

    def score(self, images: Tensor) -> Tensor:
        if self.folded_features is not None:
            # frozen: no graph through the trunk, channels-last (oneDNN and cuDNN both run
            # MobileNet's depthwise and 1×1 convolutions faster in NHWC)
            with torch.no_grad():
                feats = self.folded_features(
                    images.contiguous(memory_format=torch.channels_last))
        else:
            feats = self.features(images)
        return self.full_precision(self.mlp, feats)
