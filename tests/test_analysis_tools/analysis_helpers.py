"""Helpers of the analysis-tool tests: the tools as modules, tiny DART / grid seg configs."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # ``tools.analysis_tools.helpers``, as the tools import it
    sys.path.insert(0, str(REPO_ROOT))
TOOLS = REPO_ROOT / 'tools' / 'analysis_tools'
BASE_MODEL = REPO_ROOT / 'configs' / '_base_' / 'models' / 'upernet_dart.py'

# DART-S's UperNet config shrunk to a 2-block, 32-wide ViT at 64x64 (16 tokens of 16 px, the
# whole grid: DART and the grid then run identical blocks) and 16-channel heads.
TINY_DART = f"""
_base_ = [{str(BASE_MODEL)!r}]
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, depth=2, num_heads=2),
        img_size=64,
        tokenizer=dict(num_tokens=16,
                       scorer=dict(_delete_=True, type='ConvScorer', channels=(8, 8))),
        out_indices=(0, 1, 1, 1),
        drop_path_rate=0.0),
    neck=dict(in_channels=[32] * 4, out_channels=16),
    decode_head=dict(in_channels=[16] * 4, channels=16, num_classes=4),
    auxiliary_head=dict(in_channels=16, channels=8, num_classes=4))
"""
# the same model on the fixed grid (inherits the DART file, written next to it)
TINY_GRID = """
_base_ = ['./tiny_dart.py']
model = dict(backbone=dict(tokenizer=dict(_delete_=True, type='GridTokenizer')))
"""


def load_tool(name: str) -> ModuleType:
    """Import the script ``tools/analysis_tools/<name>.py`` as the module ``name``, as it runs
    from the command line (where its directory, not the repository, is the import root)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
