"""Your own data: ordered class folders (jsemrep.data.folder) train and evaluate like any
dataset; each bad input is one line and nothing is written."""

import json
import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from jsemrep import data
from jsemrep import runs
from jsemrep.data import folder
from jsemrep.errors import ConfigError, DataError, MissingDataError
from tests.conftest import ROOT, program_env, with_overrides
from train import resolve
from train import train
from train.configs import folder_atnl


def write_folder(root, names, per_class=40, size=48, mode='RGB', identities=0):
  """A class folder per name; class k's images show a bar at height 8 + 6 k."""
  rng = np.random.default_rng(0)
  for k, name in enumerate(names):
    os.makedirs(root / name, exist_ok=True)
    for i in range(per_class):
      image = rng.integers(0, 40, (size, size, 3), dtype=np.uint8)
      image[8 + 6 * k:12 + 6 * k, 4:size - 4] = 255
      stem = f'{i % identities:03d}_{i}' if identities else f'img{i}'
      Image.fromarray(image).convert(mode).save(root / name / f'{stem}.png')
  return root


def folder_config(manual_dir, data_dir, **overrides):
  config = folder_atnl.get_config()
  config.data.manual_dir, config.data.data_dir = str(manual_dir), str(data_dir)
  config.model.latent_dim, config.model.channels, config.model.hidden = 8, (4, 8, 8), (16, 16)
  config.batch_size, config.num_steps, config.log_every, config.checkpoint_every = 16, 4, 2, 4
  return with_overrides(config, **overrides)


def test_numeric_folders_train_in_numeric_order_and_evaluate(tmp_path):
  names = ['0', '5', '10', '15', '20']    # '10' sorts before '5' as text
  manual = write_folder(tmp_path / 'own', names)
  config = folder_config(manual, tmp_path / 'data', **{'data.image_size': (64, 64)})
  train.train_and_evaluate(config, tmp_path / 'run')
  run = runs.load_run(tmp_path / 'run')
  assert run.spec.model.image_shape == (64, 64, 3) and run.num_classes == 5
  test = run.split('test')
  heights = [int(np.argmax(test['image'][i, :, 32, 0] > 200)) for i in range(len(test['label']))]
  for label, height in zip(test['label'], heights):   # the bar of folder k at 8 + 6 k, x4/3
    assert abs(height - round((8 + 6 * label) * 64 / 48)) <= 2
  from eval import common  # pylint: disable=import-outside-toplevel
  common.evaluate(str(tmp_path / 'run'), ['reconstruction', 'prototype_angles'])
  angles = json.loads((tmp_path / 'run' / 'eval' / 'prototype_angles.json').read_text())
  assert angles['dataset'] == 'folder' and angles['scores']


def test_named_classes_take_the_order_given(tmp_path):
  manual = write_folder(tmp_path / 'own', ['small', 'medium', 'large'], per_class=10,
                        mode='L', size=32)
  spec_data = folder_config(manual, tmp_path / 'data', **{'data.classes': 'small,medium,large'})
  resolve.validate(spec_data)
  train_split = data.load('folder', 'train', str(tmp_path / 'data'), str(manual),
                          resolve.folder_options(spec_data))
  assert train_split['image'].shape[1:] == (32, 32, 1)     # grayscale kept as found
  for label in range(3):
    bar = train_split['image'][train_split['label'] == label][0, :, 16, 0]
    assert int(np.argmax(bar > 200)) == 8 + 6 * label


def test_without_classes_non_numeric_folders_are_refused_in_one_line(tmp_path):
  manual = write_folder(tmp_path / 'own', ['small', 'medium', 'large'], per_class=2, size=16)
  result = subprocess.run(
      [sys.executable, '-m', 'train.main', '--config=train/configs/folder_atnl.py',
       f'--config.data.manual_dir={manual}', f'--config.data.data_dir={tmp_path / "data"}',
       f'--workdir={tmp_path / "run"}'], cwd=ROOT, env=program_env(JSEMREP_CPU_TUNING='0'),
      capture_output=True, text=True, check=False)
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      f'error: the class folders of {manual} (large, medium, small) are not all numbers, so '
      'their order is not known: give it as --config.data.classes=large,medium,small in the '
      'semantic order']
  assert not (tmp_path / 'run').exists() and not (tmp_path / 'data').exists()


@pytest.mark.parametrize('case, message', [
    ('one class', r'must hold one folder per class \(at least two'),
    ('empty class', 'holds no images'),
    ('not an image', 'is not an image file'),
    ('unreadable', 'is not a readable image'),
    ('mixed sizes', r'images of several sizes .*: give --config.data.image_size=H,W'),
    ('too few', 'has too few images for the splits'),
])
def test_each_bad_folder_is_one_line_and_nothing_is_written(tmp_path, case, message):
  manual = write_folder(tmp_path / 'own', ['0', '1'], per_class=6, size=16)
  if case == 'one class':
    (manual / '1').rename(tmp_path / 'aside')
  elif case == 'empty class':
    for path in (manual / '1').iterdir():
      path.unlink()
  elif case == 'not an image':
    (manual / '1' / 'notes.txt').write_text('hello')
  elif case == 'unreadable':
    (manual / '1' / 'broken.png').write_bytes(b'not a png')
  elif case == 'mixed sizes':
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(manual / '1' / 'small.png')
  elif case == 'too few':
    for path in list((manual / '1').iterdir())[1:]:
      path.unlink()
  with pytest.raises((ConfigError, DataError, MissingDataError), match=message):
    data.load('folder', 'train', str(tmp_path / 'data'), str(manual), folder.FolderOptions())
  leftovers = [p for p in (tmp_path / 'data').rglob('*') if p.is_file()
               and not p.name.endswith('.lock')] if (tmp_path / 'data').exists() else []
  assert not [p for p in leftovers if 'incomplete' in str(p) or p.suffix != '.lock']


def test_identities_split_by_identity(tmp_path):
  manual = write_folder(tmp_path / 'own', ['0', '1', '2'], per_class=20, size=16, identities=10)
  options = folder.FolderOptions(identity=r'^(\d+)_')
  splits = {s: data.load('folder', s, str(tmp_path / 'data'), str(manual), options)
            for s in ('train', 'validation', 'test')}
  ids = {s: set(v['identity'].tolist()) for s, v in splits.items()}
  assert ids['train'] and ids['validation'] and ids['test']
  assert not (ids['train'] & ids['test']) and not (ids['train'] & ids['validation'])


def test_a_size_the_model_cannot_take_is_refused_in_one_line(tmp_path):
  manual = write_folder(tmp_path / 'own', ['0', '1'], per_class=10, size=16)
  config = folder_config(manual, tmp_path / 'data', **{'data.image_size': (36, 36)})
  with pytest.raises(ConfigError, match=r'the model takes images whose sides are multiples of 8 '
                                        r'.*folder has 36x36'):
    train.train_and_evaluate(config, tmp_path / 'run')


def test_the_own_data_example_runs(tmp_path):
  result = subprocess.run([sys.executable, 'examples/own_data.py', str(tmp_path), '--steps=4'],
                          cwd=ROOT, env=program_env(JSEMREP_CPU_TUNING='0'), capture_output=True,
                          text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert (tmp_path / 'slerp.png').stat().st_size > 1000
