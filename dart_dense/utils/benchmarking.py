"""Shared helpers of the measurement tools in ``tools/analysis_tools/``.

* configs: our configs, mmseg/mmdet/mmaction stock configs (``mmseg::vit/...``) and variants
  written ``CONFIG@KEY=VALUE@KEY=VALUE`` (``--cfg-options`` syntax, one override per ``@``);
* models built for measurement: SyncBN reverted to BN, every pretrained checkpoint dropped, so
  nothing is loaded or downloaded;
* dummy batches for each task (segmentation, detection, video) with ground truth for a loss;
* which part of the model to run (``backbone``, ``features`` = backbone + neck, ``model``);
* interleaved timing and peak memory (CPU: resident set size, GPU: the caching allocator).

Everything here is import-light: mmseg/mmdet/mmaction are imported only for the task at hand.
"""
from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Optional

import torch
from torch import Tensor, nn

Task = Literal['seg', 'det', 'video']
Part = Literal['backbone', 'features', 'model']
PARTS: tuple[str, ...] = ('backbone', 'features', 'model')
DEFAULT_SHAPES: dict[str, tuple[int, ...]] = {
    'seg': (512, 512), 'det': (800, 1344), 'video': (8, 224, 224)}
_SCOPES: dict[str, Task] = {'mmseg': 'seg', 'mmdet': 'det', 'mmaction': 'video'}

# ----------------------------------------------------------------------------------- configs


def parse_config_spec(spec: str) -> tuple[str, dict]:
    """``CONFIG@KEY=VALUE@...`` → (config path, overrides dict).

    Values are parsed like ``--cfg-options`` values (ints, floats, tuples, lists, strings).
    """
    from mmengine.config import DictAction

    path, *items = spec.split('@')
    overrides = {}
    for item in items:
        if '=' not in item:
            raise ValueError(f'config variant {spec!r}: override {item!r} must be KEY=VALUE')
        key, value = item.split('=', 1)
        overrides[key] = DictAction._parse_iterable(value)
    return path, overrides


def load_config(spec: str, cfg_options: Optional[dict] = None):
    """Load a config file, a scoped stock config (``mmseg::vit/...``) or a variant spec.

    Args:
        spec: path, ``SCOPE::relative/path.py`` or either followed by ``@KEY=VALUE`` overrides.
        cfg_options: further overrides (applied after the spec's own).

    Returns:
        mmengine ``Config``.
    """
    from mmengine.config import Config

    path, overrides = parse_config_spec(spec)
    if '::' in path and not Path(path).exists():
        from mmengine.hub import get_config
        cfg = get_config(path)
    elif Path(path).is_file():
        cfg = Config.fromfile(path)
    else:
        raise FileNotFoundError(f'config {path!r} not found (a file, or SCOPE::path of an '
                                'installed mmseg/mmdet/mmaction config)')
    for extra in (overrides, cfg_options or {}):
        if extra:
            cfg.merge_from_dict(extra)
    return cfg


def drop_pretrained(node: Any) -> Any:
    """Remove every pretrained-weight reference from a (model) config, in place.

    ``pretrained=...`` becomes None, ``init_cfg=dict(type='Pretrained', ...)`` is removed and a
    scorer ``checkpoint`` becomes None, so that building the model loads nothing.
    """
    if isinstance(node, dict):
        if 'pretrained' in node:
            node['pretrained'] = None
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node.pop('init_cfg')
        if 'Scorer' in str(node.get('type', '')) and node.get('checkpoint'):
            node['checkpoint'] = None
        for value in node.values():
            drop_pretrained(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_pretrained(value)
    return node


def infer_task(cfg) -> Task:
    """'seg' | 'det' | 'video' from ``default_scope``, else from the model type's registry."""
    scope = cfg.get('default_scope')
    if scope in _SCOPES:
        return _SCOPES[scope]
    model_type = cfg.model.get('type', '')
    for scope, task in _SCOPES.items():
        try:
            registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
        except ImportError:
            continue
        if registry.get(model_type) is not None:
            return task
    raise ValueError(f'cannot tell the task of model type {model_type!r}: set default_scope '
                     "to 'mmseg', 'mmdet' or 'mmaction' in the config")


def quiet_logs(level: int = logging.WARNING) -> None:
    """Raise mmengine's current logger to ``level`` (``init_weights`` logs every parameter)."""
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(level)


def build_model(cfg, device: str | torch.device = 'cpu',
                keep_auxiliary: bool = False) -> nn.Module:
    """Build ``cfg.model`` for measurement: no pretrained weights, SyncBN → BN, eval mode.

    Random initialization (``init_weights``) is applied; nothing is loaded from disk. A
    segmentor's auxiliary head (training only) is dropped unless ``keep_auxiliary``.
    """
    import dart_dense  # noqa: F401  (compat shims before torchvision / mmaction imports)
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope, init_default_scope

    task = infer_task(cfg)
    scope = {v: k for k, v in _SCOPES.items()}[task]
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    import dart_dense.models  # noqa: F401  (our classes, for stock configs too)
    init_default_scope(scope)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    model_cfg = drop_pretrained(cfg.model.copy())
    if task == 'seg' and not keep_auxiliary and model_cfg.get('auxiliary_head') is not None:
        model_cfg.pop('auxiliary_head')  # training-only; mmseg's get_flops drops it too
    quiet_logs()
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(model_cfg)
    model.init_weights()
    model = revert_sync_batchnorm(model)
    return model.to(device).eval()


# ----------------------------------------------------------------------------------- CLI

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
    """Write ``data`` as indented JSON, creating the parent directory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


# ----------------------------------------------------------------------------------- batches


def make_batch(model: nn.Module, task: Task, shape: Sequence[int], batch_size: int,
               device: str | torch.device = 'cpu', with_gt: bool = False,
               seed: int = 0) -> tuple[Tensor, list]:
    """A random, already normalized batch and its data samples.

    Args:
        model: the built model (reads the number of classes and the video input layout).
        task: 'seg' | 'det' | 'video'.
        shape: (H, W) for images, (T, H, W) for video.
        batch_size: B.
        device: where the tensors go.
        with_gt: add random ground truth (needed for ``mode='loss'``).
        seed: generator seed (the same batch for every model).

    Returns:
        inputs: (B, 3, H, W) images; for video (B, 1, 3, T, H, W) ('NCTHW' recognizers) or
            (B, T, 3, H, W) ('NCHW', 2-D recognizers).
        data_samples: one per batch element with the metainfo the heads need.
    """
    gen = torch.Generator().manual_seed(seed)
    if task == 'video':
        if len(shape) != 3:
            raise ValueError(f'video configs need --shape T H W, got {list(shape)}')
        t, h, w = shape
        layout = getattr(getattr(model, 'data_preprocessor', None), 'format_shape', 'NCTHW')
        size = (batch_size, 1, 3, t, h, w) if layout == 'NCTHW' else (batch_size, t, 3, h, w)
    else:
        if len(shape) != 2:
            raise ValueError(f'image configs need --shape H W, got {list(shape)}')
        h, w = shape
        size = (batch_size, 3, h, w)
    inputs = torch.randn(size, generator=gen).to(device)
    samples = [_data_sample(model, task, (h, w), with_gt, gen) for _ in range(batch_size)]
    return inputs, [s.to(device) for s in samples]


def _data_sample(model: nn.Module, task: Task, hw: tuple[int, int], with_gt: bool,
                 gen: torch.Generator) -> Any:
    h, w = hw
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), batch_input_shape=(h, w),
                scale_factor=(1.0, 1.0), padding_size=[0, 0, 0, 0], flip=False)
    if task == 'seg':
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        sample = SegDataSample(metainfo=meta)
        if with_gt:
            classes = model.decode_head.num_classes
            sample.gt_sem_seg = PixelData(
                data=torch.randint(0, classes, (1, h, w), generator=gen))
        return sample
    if task == 'det':
        from mmdet.structures import DetDataSample
        from mmdet.structures.mask import BitmapMasks
        from mmengine.structures import InstanceData
        sample = DetDataSample(metainfo=meta)
        if with_gt:
            num, classes = 3, _det_num_classes(model)
            xy = torch.rand(num, 2, generator=gen) * torch.tensor([w * 0.6, h * 0.6])
            wh = (torch.rand(num, 2, generator=gen) * 0.3 + 0.1) * torch.tensor([w, h])
            boxes = torch.cat([xy, xy + wh], dim=1)
            inst = InstanceData(bboxes=boxes,
                                labels=torch.randint(0, classes, (num,), generator=gen))
            masks = torch.zeros(num, h, w, dtype=torch.uint8)
            for i, (x1, y1, x2, y2) in enumerate(boxes.long().tolist()):
                masks[i, y1:y2, x1:x2] = 1
            inst.masks = BitmapMasks(masks.numpy(), h, w)
            sample.gt_instances = inst
            sample.ignored_instances = InstanceData(bboxes=torch.zeros(0, 4),
                                                    labels=torch.zeros(0, dtype=torch.long))
        return sample
    from mmaction.structures import ActionDataSample
    sample = ActionDataSample(metainfo=meta)
    if with_gt:
        classes = model.cls_head.num_classes
        sample.set_gt_label(torch.randint(0, classes, (1,), generator=gen))
    return sample


def _det_num_classes(model: nn.Module) -> int:
    for path in ('roi_head.bbox_head', 'bbox_head', 'decode_head'):
        obj = model
        for name in path.split('.'):
            obj = getattr(obj, name, None)
        if obj is None:
            continue
        if isinstance(obj, nn.ModuleList):  # cascade heads
            obj = obj[0]
        if hasattr(obj, 'num_classes'):
            return int(obj.num_classes)
    raise ValueError('cannot find num_classes in the detector heads')


# ----------------------------------------------------------------------------------- forward


def part_forward(model: nn.Module, task: Task, part: Part) -> Callable[[Tensor, list], Any]:
    """The forward of one part of the model, as ``fn(inputs, data_samples)``.

    ``backbone``: the backbone alone; ``features``: backbone + neck (``extract_feat``: what a
    ViT adapter comparison needs); ``model``: the whole network without post-processing
    (``mode='tensor'``; for recognizers up to the classification head).
    """
    if part not in PARTS:
        raise ValueError(f'part must be one of {PARTS}, got {part!r}')

    def clips(inputs: Tensor) -> Tensor:  # (B, clips, ...) → (B·clips, ...) as recognizers do
        return inputs.reshape(-1, *inputs.shape[2:]) if task == 'video' else inputs

    if part == 'backbone':
        return lambda inputs, samples: model.backbone(clips(inputs))
    if part == 'features':
        if task == 'video':
            return lambda inputs, samples: model.extract_feat(inputs, stage='neck')[0]
        return lambda inputs, samples: model.extract_feat(inputs)
    if task == 'video':
        return lambda inputs, samples: model.extract_feat(inputs, stage='head')[0]
    return lambda inputs, samples: model(inputs, samples, mode='tensor')


def loss_backward(model: nn.Module, inputs: Tensor, data_samples: list) -> Tensor:
    """One training forward (``mode='loss'``) and backward; returns the detached loss."""
    losses = model(inputs, data_samples, mode='loss')
    loss, _ = model.parse_losses(losses)
    loss.backward()
    return loss.detach()


def flatten_tensors(out: Any) -> tuple[Tensor, ...]:
    """All tensors in a nested output (tuples, lists, dicts, data elements), in order."""
    if isinstance(out, Tensor):
        return (out,)
    if isinstance(out, dict):
        out = list(out.values())
    elif hasattr(out, 'all_values'):  # mmengine data elements
        out = list(out.all_values())
    if isinstance(out, (list, tuple)):
        return tuple(t for item in out for t in flatten_tensors(item))
    return ()


# ----------------------------------------------------------------------------------- timing


def synchronize(device: str | torch.device) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved_times(fns: dict[str, Callable[[], Any]], repeat: int, warmup: int = 1,
                      device: str | torch.device = 'cpu') -> dict[str, list[float]]:
    """Seconds per call of every function, measured round-robin.

    Every function is warmed up ``warmup`` times, then the functions run in turn ``repeat``
    times (A B C A B C ...), so slow drifts of the machine's load hit all of them alike. On
    CUDA a call is timed with CUDA events around it (device time from the first launch to the
    end of the last kernel) after the stream has drained; elsewhere with the wall clock.
    """
    if repeat < 1 or warmup < 0:
        raise ValueError(f'repeat must be >= 1 and warmup >= 0, got {repeat}, {warmup}')
    cuda = torch.device(device).type == 'cuda'
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            if cuda:
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                start.record()
                fn()
                end.record()
                end.synchronize()
                times[name].append(start.elapsed_time(end) / 1e3)
            else:
                start_s = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start_s)
    return times


def summarize(times: Sequence[float]) -> dict[str, float]:
    """median, min, max and the interquartile range of a list of seconds."""
    ordered = sorted(times)
    q = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return dict(median=statistics.median(ordered), min=ordered[0], max=ordered[-1],
                iqr=q[2] - q[0], n=len(ordered))


def load_average() -> tuple[float, float, float]:
    """The machine's 1/5/15-minute load averages (recorded next to every measurement)."""
    return os.getloadavg()


# ----------------------------------------------------------------------------------- memory

# glibc keeps freed blocks below its (dynamic) mmap threshold in the heap, and then the
# resident set no longer tracks live tensors. A fixed threshold returns every freed block of
# >= 128 KiB to the OS at once; set it in the environment of a *fresh* process that measures
# memory (it slows allocation a little, so timings are taken elsewhere).
MALLOC_ENV = {'MALLOC_MMAP_THRESHOLD_': '131072', 'MALLOC_TRIM_THRESHOLD_': '131072'}


def _status_kib(field: str) -> int:
    text = Path('/proc/self/status').read_text()
    match = re.search(rf'^{field}:\s+(\d+) kB', text, re.M)
    if match is None:
        raise RuntimeError(f'/proc/self/status has no {field} line')
    return int(match.group(1))


def cpu_peak_memory(fn: Callable[[], Any]) -> int:
    """Peak resident-set increase (bytes) while ``fn`` runs (Linux).

    The kernel's high-water mark (VmHWM) is reset through ``/proc/self/clear_refs`` right
    before the call; the result is that mark minus the resident set just before. It counts
    every byte the process touched at the peak (activations, temporaries, gradients, allocator
    slack), not only tensors; run it in a process started with :data:`MALLOC_ENV` so freed
    memory is returned to the OS and earlier steps do not hide behind cached blocks.
    """
    gc.collect()
    before = _status_kib('VmRSS')
    try:
        Path('/proc/self/clear_refs').write_text('5')
    except OSError as err:  # not Linux, or not permitted: no honest peak available
        raise RuntimeError(f'cannot reset the peak RSS (/proc/self/clear_refs): {err}') from err
    fn()
    return max(_status_kib('VmHWM') - before, 0) * 1024


def cuda_peak_memory(fn: Callable[[], Any], device: str | torch.device) -> int:
    """Peak bytes allocated by torch's CUDA allocator during ``fn``, above the level before."""
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def peak_memory(fn: Callable[[], Any], device: str | torch.device = 'cpu') -> int:
    """Peak memory of one call in bytes: CUDA allocator on GPU, resident set on CPU."""
    if torch.device(device).type == 'cuda':
        return cuda_peak_memory(fn, device)
    return cpu_peak_memory(fn)


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@contextlib.contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run the block with ``num_threads`` torch intra-op threads, restoring the old count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
