"""Models: importing this package registers the task-neutral classes (backbones, necks,
tokenizers, scorers) in mmengine's root MODELS registry (found by mmseg, mmdet and mmaction
builds; configs use ``custom_imports``). It imports no toolbox (mmseg, mmdet, mmaction): the
detectors register through ``dart_dense.models.detectors``, named in the detection configs."""
from .backbones import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .scorers import *  # noqa: F401,F403
from .tokenizers import *  # noqa: F401,F403
