"""The training program: resume exactness, outputs on disk, the CLI and eval restore."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from jsemrep import checkpoint
from train import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize('method', ['atnl', 'aae'])
def test_resumed_run_equals_uninterrupted_run(make_config, tmp_path, method):
  whole = train.train_and_evaluate(make_config(num_steps=6, method=method), tmp_path / 'whole')
  train.train_and_evaluate(make_config(num_steps=3, checkpoint_every=100, method=method),
                           tmp_path / 'split')
  assert checkpoint.latest_step(tmp_path / 'split') == 3
  resumed = train.train_and_evaluate(make_config(num_steps=6, method=method), tmp_path / 'split')
  assert int(resumed.step) == 6
  assert set(resumed.params) == ({'vae', 'critic'} if method == 'aae' else {'vae'})
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(whole.params),
               jax.device_get(resumed.params))
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(whole.opt_state),
               jax.device_get(resumed.opt_state))
  records = [json.loads(line) for line in open(tmp_path / 'split' / 'metrics.jsonl')]
  assert [r['step'] for r in records] == [2, 3, 4, 6]
  assert os.listdir(tmp_path / 'split' / 'tensorboard')


def test_too_large_batch_is_rejected(make_config, tmp_path):
  with pytest.raises(ValueError, match='batch_size 512 exceeds the 160 training examples'):
    train.train_and_evaluate(make_config(batch_size=512), tmp_path)


def test_cli_trains_then_eval_restores_without_the_config_file(make_config, tmp_path):
  config = make_config()
  workdir = tmp_path / 'run'
  env = dict(os.environ, XLA_FLAGS='')
  overrides = [f'--config.data.data_dir={config.data.data_dir}',
               f'--config.data.manual_dir={config.data.manual_dir}',
               '--config.model.latent_dim=8', '--config.model.channels=(4,8,8)',
               '--config.model.hidden=(16,16)', '--config.batch_size=16',
               '--config.num_steps=2', '--config.log_every=1']
  result = subprocess.run([sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
                           f'--workdir={workdir}', *overrides], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'img/s' in result.stdout and 'ETA' in result.stdout
  assert checkpoint.latest_step(workdir) == 2
  # The evaluation program runs from another directory, with no config file at hand.
  result = subprocess.run([sys.executable, '-m', 'eval.interpolate', f'--workdir={workdir}'],
                          cwd=tmp_path, env=dict(env, PYTHONPATH=ROOT), capture_output=True,
                          text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert (workdir / 'eval' / 'interpolate.png').stat().st_size > 1000
  report = json.loads((workdir / 'eval' / 'interpolate.json').read_text())
  assert report['step'] == 2 and report['dataset'] == 'mnist5k'


def test_eval_without_checkpoint_says_how_to_train(tmp_path):
  with pytest.raises(FileNotFoundError, match='no checkpoint; train first'):
    checkpoint.restore_trained(tmp_path)
