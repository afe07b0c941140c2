"""tools/test.py follows mmdet's conventions: --out writes DumpDetResults' format, --tta wraps
the detector in the config's DetTTAModel."""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# horizontal-flip TTA for RetinaNet, as mmdet's configs write it (DetTTAModel merges boxes)
TTA = '''
tta_model = dict(type='DetTTAModel',
                 tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=20))
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale=(240, 160), keep_ratio=True)],
        [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
        [dict(type='LoadAnnotations', with_bbox=True)],
        [dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                               'scale_factor', 'flip', 'flip_direction'))]])]
'''


def _run_test_tool(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run([sys.executable, 'tools/test.py', *args], cwd=REPO_ROOT, env=env,
                          text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return proc.stdout


def test_out_writes_mmdet_dump_det_results(tiny_det_config, untrained_run_files,
                                           tmp_path: Path, subprocess_env: dict[str, str]
                                           ) -> None:
    cfg = tiny_det_config('mask-rcnn_dart-t_fpn_demo.py')
    checkpoint, config = untrained_run_files(cfg, tmp_path, 'mmdet')
    out = tmp_path / 'preds.pkl'
    log = _run_test_tool([str(config), str(checkpoint), '--work-dir', str(tmp_path / 'work'),
                          '--out', str(out)], subprocess_env)
    assert 'coco/bbox_mAP' in log
    with out.open('rb') as file:
        predictions = pickle.load(file)
    assert len(predictions) == 3  # the tiny validation split
    for sample in predictions:
        assert 'gt_instances' not in sample  # DumpDetResults drops the ground truth
        instances = sample['pred_instances']
        assert instances['bboxes'].shape[-1] == 4
        masks = instances['masks']  # RLE-encoded, not bitmaps
        assert isinstance(masks, list) and len(masks) == len(instances['bboxes'])
        assert all(isinstance(m, dict) and 'counts' in m for m in masks)


def test_tta_wraps_the_detector_in_the_configs_tta_model(
        tiny_det_config, untrained_run_files, test_tool, tmp_path: Path,
        subprocess_env: dict[str, str]) -> None:
    cfg = tiny_det_config('retinanet_dart-s_fpn_1x_coco.py')
    checkpoint, config = untrained_run_files(cfg, tmp_path, 'mmdet', TTA)
    args = test_tool.parse_args([str(config), str(checkpoint), '--tta'])
    tta_cfg = test_tool.build_config(args)
    assert tta_cfg.model.type == 'DetTTAModel'
    assert tta_cfg.model.module.type == 'DARTSingleStageDetector'
    assert tta_cfg.test_dataloader.dataset.pipeline[1].type == 'TestTimeAug'
    # score_thr 0: the untrained detector's scores sit at the classification prior (~0.01)
    log = _run_test_tool([str(config), str(checkpoint), '--work-dir', str(tmp_path / 'work'),
                          '--tta', '--cfg-options', 'model.test_cfg.score_thr=0.0'],
                         subprocess_env)
    assert 'coco/bbox_mAP' in log

    plain = tmp_path / 'plain.py'  # the same config without test-time augmentation
    plain.write_text(config.read_text().replace(TTA, ''))
    with pytest.raises(ValueError, match='--tta needs tta_model and tta_pipeline'):
        test_tool.build_config(test_tool.parse_args([str(plain), str(checkpoint), '--tta']))
