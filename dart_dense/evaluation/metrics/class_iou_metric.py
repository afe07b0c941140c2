"""ClassIoUMetric: mmseg's IoUMetric that also reports every class's IoU and group means."""
from typing import Optional, Sequence

import numpy as np
from mmengine.registry import METRICS
from mmseg.evaluation import IoUMetric


@METRICS.register_module()
class ClassIoUMetric(IoUMetric):
    """mmseg's IoUMetric plus ``IoU.<class>`` for every class and ``mIoU_<group>``, the mean
    IoU over each named group of classes (classes absent from both prediction and labels are
    skipped, as in mIoU). All in percent; per-class values are not rounded.

    mmseg logs the per-class table but returns only the means; a study of small objects
    needs their classes' scores as numbers (e.g. ``class_groups=dict(things=[...])`` reports
    ``mIoU_things``).

    Args:
        class_groups: group name → class names (each one of the dataset's classes).
        **kwargs: IoUMetric arguments.
    """

    def __init__(self, class_groups: Optional[dict[str, Sequence[str]]] = None, **kwargs):
        super().__init__(**kwargs)
        groups = dict(class_groups or {})
        for name, classes in groups.items():
            if not isinstance(name, str) or isinstance(classes, str) or not classes:
                raise ValueError('class_groups must map group names to non-empty lists of '
                                 f'class names, got {class_groups!r}')
        self.class_groups = {name: tuple(classes) for name, classes in groups.items()}

    @property
    def dataset_meta(self) -> Optional[dict]:
        """The dataset's meta info (set by the evaluation loop before any batch)."""
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        # checked here, when the loop is built: a misspelt class fails before training
        classes = list((dataset_meta or {}).get('classes', ()))
        for group, members in self.class_groups.items():
            unknown = [c for c in members if c not in classes]
            if unknown:
                raise ValueError(f'class_groups[{group!r}] names {unknown}, which are not '
                                 f'among the dataset classes {classes}')
        self._dataset_meta = dataset_meta

    def compute_metrics(self, results: list) -> dict[str, float]:
        """IoUMetric's metrics plus the per-class IoU and the group means (see the class)."""
        metrics = super().compute_metrics(results)
        intersect, union, pred_area, label_area = (sum(r) for r in zip(*results))
        iou = self.total_area_to_metrics(intersect, union, pred_area, label_area, ['mIoU'],
                                         self.nan_to_num, self.beta)['IoU'] * 100
        classes = list(self.dataset_meta['classes'])
        for name, value in zip(classes, iou):
            metrics[f'IoU.{name}'] = float(value)
        for group, members in self.class_groups.items():
            metrics[f'mIoU_{group}'] = float(np.nanmean([iou[classes.index(c)]
                                                         for c in members]))
        return metrics
