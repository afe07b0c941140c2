"""tools/analysis_tools/evidence_study.py (smoke run) and budget_curve.py on its model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_helpers import load_tool
from mmengine.config import ConfigDict
from mmengine.registry import MODELS

evidence_study = load_tool('evidence_study')
budget_curve = load_tool('budget_curve')


@pytest.mark.parametrize('variant, tokens', [('dart_N', 100), ('grid_N', 100),
                                             ('grid_2N', 196)])
def test_variants_differ_only_in_the_tokenizer(variant: str, tokens: int) -> None:
    import dart_dense.models  # noqa: F401

    cfg = evidence_study.variant_model(variant, 'grad', num_classes=10)
    reference = evidence_study.variant_model('grid_N', 'grad', num_classes=10)
    for key in ('decode_head', 'data_preprocessor'):
        assert cfg[key] == reference[key]
    backbone = MODELS.build(ConfigDict(cfg['backbone']))
    assert backbone.num_tokens == tokens


@pytest.fixture(scope='module')
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp('evidence')
    report = evidence_study.main([
        '--smoke', '--seeds', '0', '--variants', 'dart_N', 'grid_N',
        '--data-root', str(root / 'data'), '--work-dir', str(root / 'work'),
        '--json', str(root / 'evidence.json'), '--update-docs', str(root / 'doc.md')])
    return report, root


def test_smoke_run_reports_every_variant(smoke) -> None:
    report, root = smoke
    assert [(r['variant'], r['seed']) for r in report['runs']] == [('dart_N', 0), ('grid_N', 0)]
    for run in report['runs']:
        assert 0 <= run['metrics']['mIoU'] <= 100
        assert 'mIoU_things' in run['metrics'] and 'IoU.ball' in run['metrics']
        assert Path(run['checkpoint']).is_file()
    assert set(report['summary']['mIoU']) == {'dart_N', 'grid_N'}
    assert json.loads((root / 'evidence.json').read_text())['settings']['smoke'] is True
    doc = (root / 'doc.md').read_text()
    assert '<!-- evidence-study:start -->' in doc and '| dart_N (grad scorer) |' in doc


def test_update_docs_replaces_only_its_section(tmp_path) -> None:
    doc = tmp_path / 'doc.md'
    doc.write_text('# T\n<!-- evidence-study:start -->\nold\n<!-- evidence-study:end -->\ntail\n')
    evidence_study.update_docs(doc, 'new')
    assert doc.read_text() == ('# T\n<!-- evidence-study:start -->\nnew\n'
                               '<!-- evidence-study:end -->\ntail\n')


def test_budget_curve_on_the_smoke_model(smoke) -> None:
    report, root = smoke
    run = next(r for r in report['runs'] if r['variant'] == 'dart_N')
    config = str(Path(run['checkpoint']).parent / 'config.py')
    results = budget_curve.main([
        config, run['checkpoint'], '--budgets', '100', '49',
        '--reference', str(root / 'evidence.json'), '--plot', str(root / 'curve.png'),
        '--json', str(root / 'curve.json'), '--work-dir', str(root / 'curve')])
    assert [r['num_tokens'] for r in results] == [49, 100]
    assert all(0 <= r['metrics']['mIoU'] <= 100 for r in results)
    assert (root / 'curve.png').stat().st_size > 1000
    assert json.loads((root / 'curve.json').read_text())['trained_budget'] == 100


def test_balanced_cross_entropy_matches_mmseg_and_ignores_255() -> None:
    import torch
    from mmseg.models.losses import CrossEntropyLoss

    weights = [0.5, 2.0, 1.0]
    pred = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    label = torch.randint(0, 3, (2, 4, 4), generator=torch.Generator().manual_seed(1))
    ours = evidence_study.BalancedCrossEntropyLoss(class_weight=weights)
    # without ignored pixels mmseg's own weighted mean works: same number
    assert torch.allclose(ours(pred, label, ignore_index=255),
                          CrossEntropyLoss(class_weight=weights)(pred, label))
    label[0, 0, :] = 255  # where mmseg 1.2.2 raises IndexError
    kept = label != 255
    per_pixel = torch.nn.functional.cross_entropy(pred, label.clamp_max(2), reduction='none')
    w = torch.tensor(weights)[label.clamp_max(2)]
    expected = (per_pixel * w)[kept].sum() / w[kept].sum()
    assert torch.allclose(ours(pred, label, ignore_index=255), expected)


def test_sharpened_tokenizer_with_beta_one_is_dart() -> None:
    import torch

    cfg = dict(type='DARTTokenizer', in_channels=3, embed_dims=8, patch_size=14,
               num_tokens=16, grid_stride=4, scorer=dict(type='GradientEnergyScorer', stride=4))
    images = torch.randn(2, 3, 70, 84, generator=torch.Generator().manual_seed(0))
    plain = MODELS.build(cfg)
    same = MODELS.build(dict(cfg, type='SharpenedDARTTokenizer', sharpness=1.0))
    sharp = MODELS.build(dict(cfg, type='SharpenedDARTTokenizer', sharpness=3.0))
    with torch.no_grad():
        ref, one, three = (t(images).layout for t in (plain, same, sharp))
    assert torch.allclose(one.token_edges, ref.token_edges, atol=1e-3)
    # sharper importance: the smallest tokens get smaller, the largest larger
    assert three.token_areas().min() < ref.token_areas().min()
    assert three.token_areas().max() > ref.token_areas().max()
