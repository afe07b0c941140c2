"""An image loader whose errors name the file (a drop-in for ``LoadImageFromFile``).

mmcv's ``LoadImageFromFile`` names undecodable images ("failed to load image: PATH"), but an
empty or unreadable file fails inside OpenCV (``!buf.empty()``) without the path. This subclass
re-raises such errors as ``ValueError`` naming the file; a missing file keeps its
``FileNotFoundError``. Registered in mmengine's root ``TRANSFORMS`` (found by mmseg, mmdet and
mmaction builds); configs pull it in with
``custom_imports=dict(imports=['dart_dense.datasets.transforms'])``. The annotation loader is
left stock: ``mmseg.apis.inference_model`` drops pipeline steps by the type name
``LoadAnnotations``.
"""
from __future__ import annotations

from typing import Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.registry import TRANSFORMS

__all__ = ['NamedLoadImageFromFile']


@TRANSFORMS.register_module()
class NamedLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments); an unreadable ``img_path`` is named.

    Raises:
        FileNotFoundError: ``img_path`` does not exist.
        ValueError: ``img_path`` exists but cannot be decoded (unless ``ignore_empty``).
    """

    def transform(self, results: dict) -> Optional[dict]:
        try:
            return super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as error:  # cv2.error, mmcv's AssertionError, OSError: name the file
            raise ValueError(
                f"cannot read image file {results['img_path']!r} (empty, truncated or not an "
                f'image): {type(error).__name__}: {error}') from error
