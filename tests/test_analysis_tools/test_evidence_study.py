"""tools/analysis_tools/evidence_study.py (its configs, a smoke run) and budget_curve.py on its
model; the study's registered metric and loss."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from analysis_helpers import REPO_ROOT, load_tool
from mmengine.registry import MODELS

evidence_study = load_tool('evidence_study')
budget_curve = load_tool('budget_curve')


def test_every_variant_is_a_config() -> None:
    assert set(evidence_study.VARIANTS) == {'dart_N', 'grid_N', 'grid_2N', 'dart_N_sharp3',
                                            'dart_N_token'}
    with pytest.raises(ValueError, match='variant must be one of'):
        evidence_study.variant_config('dart_2N')


@pytest.mark.parametrize('variant, tokens, text', [
    ('dart_N', 100, '100 (adaptive, p=14)'), ('grid_N', 100, '100 (14 px grid)'),
    ('grid_2N', 196, '196 (10 px grid)'), ('dart_N_sharp3', 100, '100 (adaptive, p=14, β=3)')])
def test_variants_differ_only_in_the_tokenizer(variant: str, tokens: int, text: str) -> None:
    cfg = evidence_study.variant_config(variant)
    reference = evidence_study.variant_config('grid_N')
    for key in ('decode_head', 'data_preprocessor', 'test_cfg'):
        assert cfg.model[key] == reference.model[key]
    for key in ('train_dataloader', 'val_evaluator', 'optim_wrapper', 'param_scheduler',
                'train_cfg'):
        assert cfg[key] == reference[key]
    backbone = MODELS.build(cfg.model.backbone)
    assert backbone.num_tokens == tokens
    assert evidence_study.describe_tokens(cfg) == text


@pytest.mark.parametrize('variant', evidence_study.VARIANTS)
def test_every_variant_builds_and_takes_a_training_batch(variant: str) -> None:
    """The whole segmentor of each config, on a random batch whose labels include ignored
    pixels (255, which mmseg's own class-weighted loss cannot take)."""
    from mmengine.registry import init_default_scope
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS as SEG_MODELS
    from mmseg.structures import SegDataSample

    cfg = evidence_study.variant_config(variant)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = SEG_MODELS.build(cfg.model)
    samples = []
    for _ in range(2):
        label = torch.randint(0, 10, (1, 140, 140))
        label[:, :20] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(dict(img_shape=(140, 140), ori_shape=(140, 140),
                                 pad_shape=(140, 140)))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, 140, 140), samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and total > 0
    total.backward()


def test_sharp_variant_is_dart_with_a_sharper_importance() -> None:
    sharp = evidence_study.variant_config('dart_N_sharp3').model.backbone.tokenizer
    dart = evidence_study.variant_config('dart_N').model.backbone.tokenizer
    assert sharp == dict(dart, score_sharpness=3.0)
    assert MODELS.build(dict(sharp, in_channels=3, embed_dims=8)).score_sharpness == 3.0


def test_run_options_set_the_schedule_data_and_seed(tmp_path: Path) -> None:
    cfg = evidence_study.variant_config('dart_N', scorer='conv')
    assert cfg.model.backbone.tokenizer.scorer == dict(type='ConvScorer', channels=(16, 32))
    cfg.merge_from_dict(evidence_study.run_options(tmp_path / 'data', tmp_path / 'work', 3,
                                                   50, 2, [1.0] * 10))
    assert cfg.randomness.seed == 3 and cfg.work_dir == str(tmp_path / 'work')
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (50, 51)
    assert [(s.begin, s.end) for s in cfg.param_scheduler] == [(0, 5), (5, 50)]
    assert cfg.default_hooks.checkpoint.interval == 50
    assert cfg.model.decode_head.loss_decode.class_weight == [1.0] * 10
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].batch_size == 2
        assert cfg[loader].dataset.data_root == str(tmp_path / 'data')


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
        # the run's own config: the variant's, with the smoke schedule
        cfg = (Path(run['checkpoint']).parent / 'config.py').read_text()
        assert 'max_iters=2' in cfg and "type='ClassIoUMetric'" in cfg
    assert set(report['summary']['mIoU']) == {'dart_N', 'grid_N'}
    assert json.loads((root / 'evidence.json').read_text())['settings']['smoke'] is True
    doc = (root / 'doc.md').read_text()
    assert '<!-- evidence-study:start -->' in doc
    assert '| dart_N (grad scorer) | 100 (adaptive, p=14) |' in doc
    assert '| grid_N | 100 (14 px grid) |' in doc


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
    assert all('mIoU_things' in r['metrics'] for r in results)
    assert (root / 'curve.png').stat().st_size > 1000
    assert json.loads((root / 'curve.json').read_text())['trained_budget'] == 100


def test_allocation_on_the_smoke_data(smoke) -> None:
    """--allocation: the untrained dart_N tokenizer's token sizes at thing pixels and elsewhere,
    for each setting; the table goes into the token-allocation section."""
    _, root = smoke
    out = evidence_study.main(['--allocation', '--smoke', '--data-root', str(root / 'data'),
                               '--json', str(root / 'allocation.json'),
                               '--update-docs', str(root / 'doc.md')])['allocation']
    assert list(out) == list(evidence_study.ALLOCATION_SETTINGS)
    for stats in out.values():
        assert 0 < stats['area_things'] < 140 * 140 and 0 < stats['area_other'] < 140 * 140
        assert 0 < stats['height_things'] <= 140 and 0 < stats['width_things'] <= 140
    assert out['R=20 rows']['rows'] == 20 and out['β=3']['rows'] == 10
    # sharper importance: smaller tokens on the things, larger elsewhere
    default, sharp = out['DART default (β=1, floor 0.1, R=10)'], out['β=3']
    assert sharp['area_things'] < default['area_things'] < default['area_other']
    assert sharp['area_other'] > default['area_other']
    assert json.loads((root / 'allocation.json').read_text())['allocation'] == out
    doc = (root / 'doc.md').read_text()
    assert '<!-- token-allocation:start -->' in doc and '| β=3 |' in doc
    assert '<!-- evidence-study:start -->' in doc  # the other section is kept


def test_update_section_replaces_only_its_section(tmp_path: Path) -> None:
    from tools.analysis_tools.helpers import update_section

    doc = tmp_path / 'doc.md'
    doc.write_text('# T\n<!-- evidence-study:start -->\nold\n<!-- evidence-study:end -->\ntail\n')
    update_section(doc, 'evidence-study', 'new')
    assert doc.read_text() == ('# T\n<!-- evidence-study:start -->\nnew\n'
                               '<!-- evidence-study:end -->\ntail\n')
    update_section(doc, 'budget-curve', 'table')  # absent: appended
    assert doc.read_text().endswith('tail\n\n<!-- budget-curve:start -->\ntable\n'
                                    '<!-- budget-curve:end -->\n')


def test_no_forced_registration_or_file_path_import() -> None:
    """Classes register once, in the package (a forced re-registration in a tool silently
    replaced them); tools import each other as modules, not by file path."""
    offenders = []
    for path in [*(REPO_ROOT / 'tools').rglob('*.py'), *(REPO_ROOT / 'dart_dense').rglob('*.py')]:
        text = path.read_text()
        for needle in ('register_module(force=True)', 'spec_from_file_location'):
            if needle in text:
                offenders.append(f'{path.relative_to(REPO_ROOT)}: {needle}')
    assert not offenders


def test_class_weighted_cross_entropy_matches_mmseg_and_ignores_255() -> None:
    from mmseg.models.losses import CrossEntropyLoss

    import dart_dense.models.losses  # noqa: F401
    weights = [0.5, 2.0, 1.0]
    pred = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    label = torch.randint(0, 3, (2, 4, 4), generator=torch.Generator().manual_seed(1))
    # built the way a decode head builds its loss: through mmseg's registry
    from mmseg.registry import MODELS as SEG_MODELS
    ours = SEG_MODELS.build(dict(type='ClassWeightedCrossEntropyLoss', class_weight=weights))
    # without ignored pixels mmseg's own weighted mean works: same number
    assert torch.allclose(ours(pred, label, ignore_index=255),
                          CrossEntropyLoss(class_weight=weights)(pred, label))
    label[0, 0, :] = 255  # where mmseg 1.2.2 raises IndexError
    kept = label != 255
    per_pixel = torch.nn.functional.cross_entropy(pred, label.clamp_max(2), reduction='none')
    w = torch.tensor(weights)[label.clamp_max(2)]
    expected = (per_pixel * w)[kept].sum() / w[kept].sum()
    assert torch.allclose(ours(pred, label, ignore_index=255), expected)


def test_class_iou_metric_reports_classes_and_groups() -> None:
    from mmengine.registry import METRICS

    import dart_dense.evaluation.metrics  # noqa: F401
    metric = METRICS.build(dict(type='ClassIoUMetric', class_groups=dict(small=['b', 'c'])))
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    # per batch: (intersection, union, predicted area, label area) per class
    batch = [torch.tensor(v, dtype=torch.float64) for v in
             ([4, 1, 0], [4, 4, 0], [4, 2, 0], [4, 3, 0])]
    metrics = metric.compute_metrics([batch, batch])
    assert metrics['IoU.a'] == pytest.approx(100.0) and metrics['IoU.b'] == pytest.approx(25.0)
    assert metrics['IoU.c'] != metrics['IoU.c']  # absent from both: nan, skipped by the means
    assert metrics['mIoU_small'] == pytest.approx(25.0)
    assert metrics['mIoU'] == pytest.approx(62.5)
    with pytest.raises(ValueError, match=r"class_groups\['small'\] names \['c'\]"):
        metric.dataset_meta = dict(classes=('a', 'b'))
    with pytest.raises(ValueError, match='class_groups must map group names'):
        METRICS.build(dict(type='ClassIoUMetric', class_groups=dict(small='b')))
