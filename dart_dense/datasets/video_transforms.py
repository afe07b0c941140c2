"""A video opener whose errors name the file, and which can skip unreadable videos.

mmaction2's ``DecordInit`` raises ``FileNotFoundError`` naming a missing file, but a truncated or
corrupt one fails inside decord with ``RuntimeError: Error reading <BytesIO ...>`` (it opens an
in-memory copy), which names nothing. :class:`SafeDecordInit` re-raises that as ``ValueError``
naming the file, or, with ``skip_unreadable=True``, logs it and returns ``None``: mmengine's
``BaseDataset`` then draws another sample (training datasets only, at most ``max_refetch``
times, 1000 by default). Registered in mmengine's root ``TRANSFORMS`` (found by mmaction2
builds); configs pull it in with ``custom_imports=dict(imports=[
'dart_dense.datasets.video_transforms'])``.
"""
from __future__ import annotations

import logging
from typing import Optional

from mmaction.datasets.transforms import DecordInit
from mmengine.logging import print_log
from mmengine.registry import TRANSFORMS

__all__ = ['SafeDecordInit']


@TRANSFORMS.register_module()
class SafeDecordInit(DecordInit):
    """mmaction2's ``DecordInit``; an unreadable ``filename`` is named, or skipped.

    Required keys: ``filename``. Added keys: ``video_reader``, ``total_frames``, ``avg_fps``
    (as ``DecordInit``).

    Args:
        skip_unreadable: return ``None`` for a missing, empty or corrupt video instead of
            raising (a warning names it). Use it in training pipelines only: a test-mode
            dataset raises on ``None`` ("Test time pipline should not get None").
        io_backend: file backend, as ``DecordInit``.
        num_threads: decoding threads, as ``DecordInit``.
        **kwargs: file-client arguments, as ``DecordInit``.

    Raises:
        FileNotFoundError: the video does not exist (``skip_unreadable=False``).
        ValueError: it exists but decord cannot open it or it has no frames.
    """

    def __init__(self, skip_unreadable: bool = False, io_backend: str = 'disk',
                 num_threads: int = 1, **kwargs) -> None:
        super().__init__(io_backend=io_backend, num_threads=num_threads, **kwargs)
        self.skip_unreadable = skip_unreadable

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['filename']
        try:
            results = super().transform(results)
            if results['total_frames'] < 1:
                raise ValueError('the video has no frames')
        except FileNotFoundError as error:
            if not self.skip_unreadable:
                raise
            problem = error
        except Exception as error:  # decord's RuntimeError / DECORDError, ValueError above
            problem = ValueError(f'cannot read video file {filename!r} (empty, truncated or '
                                 f'not a video): {type(error).__name__}: {error}')
            if not self.skip_unreadable:
                raise problem from error
        else:
            return results
        print_log(f'SafeDecordInit: skipping an unreadable video, {problem}', logger='current',
                  level=logging.WARNING)
        return None

    def __repr__(self) -> str:
        return f'{super().__repr__()[:-1]}, skip_unreadable={self.skip_unreadable})'
