"""tools/test.py --tta on a DART segmentation config: mmseg's SegTTAModel over the config's
tta_pipeline (flips and scales), as mmseg's own test.py does."""
from __future__ import annotations

import re
from pathlib import Path

from seg_helpers import run_tool


def test_tta_evaluates_with_seg_tta_model(tiny_demo_config, untrained_run_files, test_tool,
                                          tmp_path: Path, subprocess_env: dict[str, str]
                                          ) -> None:
    cfg = tiny_demo_config()
    assert cfg.tta_model.type == 'SegTTAModel'  # from mmseg's default runtime
    # mmseg's ADE20K tta_pipeline (6 scales of 2048x512, flips), at the tiny image size
    cfg.tta_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='TestTimeAug', transforms=[
            [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in (0.75, 1.0)],
            [dict(type='RandomFlip', prob=0., direction='horizontal'),
             dict(type='RandomFlip', prob=1., direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')]])]
    checkpoint, config = untrained_run_files(cfg, tmp_path, 'mmseg')

    tta = test_tool.build_config(test_tool.parse_args([str(config), str(checkpoint), '--tta']))
    assert tta.model.type == 'SegTTAModel' and tta.model.module.type == 'EncoderDecoder'
    assert tta.test_dataloader.dataset.pipeline == cfg.tta_pipeline

    log = run_tool(['tools/test.py', str(config), str(checkpoint), '--tta',
                    '--work-dir', str(tmp_path / 'work')], subprocess_env).stdout
    miou = re.findall(r'mIoU: ([\d.]+)', log)
    assert miou and 0 <= float(miou[-1]) <= 100
