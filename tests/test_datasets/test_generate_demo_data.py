"""The command-line front end tools/dataset_converters/generate_demo_data.py."""
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'dataset_converters' / \
    'generate_demo_data.py'


@pytest.fixture(scope='module')
def cli():
    spec = importlib.util.spec_from_file_location('generate_demo_data', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('argv, expected', [
    (['ade20k', '--num-train', '2', '--num-val', '1', '--size', '48', '64', '--difficulty',
      'hard', '--seed', '3'],
     dict(num_train=2, num_val=1, size=[48, 64], seed=3, difficulty='hard')),
    (['coco', '--num-train', '2', '--num-val', '1', '--sizes', '48x64', '64x48'],
     dict(num_train=2, num_val=1, sizes=[[48, 64], [64, 48]], seed=0, difficulty='demo',
          num_empty_train=1)),
    (['video', '--num-train', '1', '--num-val', '1', '--size', '32', '48', '--num-frames', '4',
      '--fps', '5', '--difficulty', 'hard'],
     dict(num_train=1, num_val=1, size=[32, 48], seed=0, num_frames=4, fps=5.0,
          difficulty='hard')),
])
def test_cli_passes_options_through(cli, tmp_path, capsys, argv, expected):
    cli.main([*argv, '--out', str(tmp_path)])
    assert 'demo data ready' in capsys.readouterr().out
    marker = json.loads((tmp_path / '.dart_dense_demo.json').read_text())
    assert marker['generator'] == argv[0] and marker['complete']
    assert marker['params'] == expected


def test_cli_rejects_bad_input(cli, tmp_path):
    with pytest.raises(SystemExit):
        cli.main(['coco', '--out', str(tmp_path), '--sizes', '48by64'])
    with pytest.raises(SystemExit):
        cli.main(['imagenet', '--out', str(tmp_path)])
    with pytest.raises(ValueError, match='num_train'):
        cli.main(['ade20k', '--out', str(tmp_path), '--num-train', '0'])
