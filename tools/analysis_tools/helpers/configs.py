"""Configs to measure: our files, stock mmseg/mmdet/mmaction ones and ``@KEY=VALUE`` variants.

A spec is a config path or ``SCOPE::relative/path.py`` (an installed toolbox's config),
optionally followed by ``@KEY=VALUE`` overrides in ``--cfg-options`` syntax, one per ``@``:
``configs/seg/x.py@model.backbone.tokenizer.num_tokens=256``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional

from mmengine.config import Config, DictAction

Task = Literal['seg', 'det', 'video']
#: the toolbox scope that builds each task's models
TASK_SCOPES: dict[str, str] = {'seg': 'mmseg', 'det': 'mmdet', 'video': 'mmaction'}


def parse_config_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``CONFIG@KEY=VALUE@...`` → (config path, overrides dict).

    Values are parsed as ``--cfg-options`` values (ints, floats, tuples, lists, strings).
    """
    path, *items = spec.split('@')
    overrides = {}
    for item in items:
        if '=' not in item:
            raise ValueError(f'config variant {spec!r}: override {item!r} must be KEY=VALUE')
        key, value = item.split('=', 1)
        overrides[key] = DictAction._parse_iterable(value)
    return path, overrides


def load_config(spec: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file, a scoped stock config (``mmseg::vit/...``) or a variant spec.

    Args:
        spec: path, ``SCOPE::relative/path.py`` or either followed by ``@KEY=VALUE`` overrides.
        cfg_options: further overrides (applied after the spec's own).
    """
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


def infer_task(cfg: Config) -> Task:
    """'seg' | 'det' | 'video' from ``default_scope``, else from the model type's registry."""
    scope_tasks = {scope: task for task, scope in TASK_SCOPES.items()}
    scope = cfg.get('default_scope')
    if scope in scope_tasks:
        return scope_tasks[scope]
    model_type = cfg.model.get('type', '')
    for scope, task in scope_tasks.items():
        try:
            registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
        except ImportError:
            continue
        if registry.get(model_type) is not None:
            return task
    raise ValueError(f'cannot tell the task of model type {model_type!r}: set default_scope '
                     "to 'mmseg', 'mmdet' or 'mmaction' in the config")
