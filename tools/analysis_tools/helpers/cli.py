"""Pieces of the tools' command lines: the ``--shape`` option and the JSON report."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

SHAPE_HELP = ('H W (images) or T H W (video); one int = square image. Default: 512 512 (seg), '
              '800 1344 (det), 8 224 224 (video)')


def check_shape(shape: Optional[list[int]]) -> Optional[list[int]]:
    """``--shape`` values → [H, W] or [T, H, W] (one int = a square image), or None."""
    if shape is None:
        return None
    if len(shape) == 1:
        shape = [shape[0]] * 2
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f'--shape takes H W or T H W positive ints, got {shape}')
    return list(shape)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON indented by one space (the reports' format), creating the parent
    directory (mmengine's ``dump``)."""
    from mmengine.fileio import dump
    dump(data, str(path), file_format='json', indent=1)
