"""Models: importing this package registers every class in mmengine's root MODELS registry
(found by mmseg, mmdet and mmaction builds; configs use ``custom_imports``)."""
from .backbones import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .scorers import *  # noqa: F401,F403
from .tokenizers import *  # noqa: F401,F403
