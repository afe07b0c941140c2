"""ClassWeightedCrossEntropyLoss: mmseg's CrossEntropyLoss with ``class_weight`` that works
next to ignored pixels."""
from typing import Any, Optional

import torch
import torch.nn.functional as F
from mmengine.registry import MODELS
from mmseg.models.losses import CrossEntropyLoss


@MODELS.register_module()
class ClassWeightedCrossEntropyLoss(CrossEntropyLoss):
    """mmseg's CrossEntropyLoss whose ``class_weight`` also works when labels hold the ignore
    index.

    mmseg 1.2.2 computes the weighted mean's denominator by indexing ``class_weight`` with the
    labels, which raises IndexError as soon as a label is the ignore index (255). With class
    weights and the plain mean reduction this computes the same weighted mean, Σ wᵢ·lossᵢ /
    Σ wᵢ over the pixels not ignored, with PyTorch's own weighted cross-entropy; every other
    case is mmseg's code. Same arguments as CrossEntropyLoss.
    """

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None, ignore_index: int = -100,
                **kwargs: Any) -> torch.Tensor:
        """Args as CrossEntropyLoss: ``cls_score`` (B, K, H, W) logits, ``label`` (B, H, W)."""
        if (self.class_weight is None or self.use_sigmoid or self.use_mask
                or weight is not None or avg_factor is not None
                or (reduction_override or self.reduction) != 'mean'):
            return super().forward(cls_score, label, weight, avg_factor, reduction_override,
                                   ignore_index=ignore_index, **kwargs)
        class_weight = cls_score.new_tensor(self.class_weight)
        return self.loss_weight * F.cross_entropy(cls_score, label, weight=class_weight,
                                                  ignore_index=ignore_index)
