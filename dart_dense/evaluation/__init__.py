"""Evaluation: importing :mod:`dart_dense.evaluation.metrics` (needs mmseg) registers the metrics
in mmengine's root METRICS; configs name it in ``custom_imports``."""
