"""The DART model bases inherit one DART-S/16 definition (configs/_base_/models/dart_vit-s16.py)."""
from pathlib import Path

import pytest
from mmengine.config import Config

BASES = Path(__file__).resolve().parents[1] / 'configs' / '_base_' / 'models'
DART_BASES = ['upernet_dart.py', 'segmenter_dart.py', 'mask-rcnn_dart_fpn.py',
              'retinanet_dart_fpn.py', 'dart_video.py']


def _contains(whole: dict, part: dict) -> bool:
    """Every key of ``part`` is in ``whole`` with the same value (nested dicts recursively)."""
    return all(k in whole and (_contains(whole[k], v) if isinstance(v, dict) else whole[k] == v)
               for k, v in part.items())


@pytest.mark.parametrize('name', DART_BASES)
def test_model_base_backbone_is_the_shared_dart_s16(name: str) -> None:
    cfg = Config.fromfile(BASES / name)
    shared = cfg.dart_s16.to_dict()
    backbone = cfg.model.backbone.to_dict()
    shared.pop('type')  # the video base swaps the class, keeps the rest
    assert backbone['type'] in ('DARTViT', 'DARTVideoViT')
    assert _contains(backbone, shared), (backbone, shared)
    # each base adds its own budget to the shared tokenizer
    assert {'num_tokens', 'token_ratio'} & set(backbone['tokenizer'])
    # the det bases replace mmdet's ResNet backbone (_delete_), none of its keys leak in
    assert '_delete_' not in backbone and 'depth' not in backbone


def test_no_base_repeats_the_scorer_definition() -> None:
    """The DART-S scorer is spelled out once; the bases copy it from dart_s16."""
    spelled = [p.name for p in BASES.glob('*.py') if "arch='large'" in p.read_text()]
    assert spelled == ['dart_vit-s16.py']
