"""Shared code of the measurement tools in ``tools/analysis_tools/``, one concern per module.

* :mod:`.configs`: configs to measure (ours, stock ``mmseg::...`` ones, ``@KEY=VALUE``
  variants), pretrained references dropped, the task of a config;
* :mod:`.models`: models built for measurement and the part to run (backbone, features,
  model), a training step, parameter counts;
* :mod:`.batches`: random batches and the data samples of each task;
* :mod:`.timing`: interleaved timings and their summary, load average, thread count;
* :mod:`.memory`: peak memory of one call (CPU resident set, CUDA allocator);
* :mod:`.cli`: the ``--shape`` option and JSON reports;
* :mod:`.markdown`: a table written into a marked section of a docs file (``--update-docs``).

Imported by the tools as ``from tools.analysis_tools.helpers import ...`` (each tool puts the
repository root on ``sys.path``); mmseg/mmdet/mmaction are imported only for the task at hand.
"""
from .batches import DEFAULT_SHAPES, make_batch
from .cli import SHAPE_HELP, check_shape, write_json
from .configs import TASK_SCOPES, Task, drop_pretrained, infer_task, load_config, parse_config_spec
from .markdown import update_section
from .memory import MALLOC_ENV, cpu_peak_memory, cuda_peak_memory, peak_memory
from .models import (PARTS, Part, build_model, count_params, flatten_tensors, loss_backward,
                     part_forward, quiet_logs)
from .timing import interleaved_times, load_average, summarize, synchronize, torch_threads

__all__ = [
    'DEFAULT_SHAPES', 'MALLOC_ENV', 'PARTS', 'SHAPE_HELP', 'TASK_SCOPES', 'Part', 'Task',
    'build_model', 'check_shape', 'count_params', 'cpu_peak_memory', 'cuda_peak_memory',
    'drop_pretrained', 'flatten_tensors', 'infer_task', 'interleaved_times', 'load_average',
    'load_config', 'loss_backward', 'make_batch', 'parse_config_spec', 'part_forward',
    'peak_memory', 'quiet_logs', 'summarize', 'synchronize', 'torch_threads', 'update_section',
    'write_json',
]
