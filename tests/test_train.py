"""The training program: resume exactness, outputs on disk, the CLI and eval restore."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from jsemrep import checkpoint
from jsemrep.errors import CheckpointError, ConfigError
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


def test_too_large_batch_is_rejected_before_anything_is_written(make_config, tmp_path):
  with pytest.raises(ConfigError, match='config batch_size=512 is not allowed: it exceeds the '
                                        '140 training examples of mnist5k'):
    train.train_and_evaluate(make_config(batch_size=512), tmp_path / 'run')
  assert not (tmp_path / 'run').exists()


def run_module(module, *args, cwd, env):
  result = subprocess.run([sys.executable, '-m', module, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  return result.stdout


def train_tiny_cli(config, workdir, env, *extra):
  overrides = [f'--config.data.data_dir={config.data.data_dir}',
               f'--config.data.manual_dir={config.data.manual_dir}',
               '--config.model.latent_dim=8', '--config.model.channels=(4,8,8)',
               '--config.model.hidden=(16,16)', '--config.batch_size=16',
               '--config.num_steps=2', '--config.log_every=1', *extra]
  return run_module('train.main', '--config=train/configs/demo.py', f'--workdir={workdir}',
                    *overrides, cwd=ROOT, env=env)


def test_cli_trains_then_every_eval_program_restores_without_the_config_file(
    make_config, tmp_path):
  workdir = tmp_path / 'runs' / 'run'
  env = dict(os.environ, XLA_FLAGS='', PYTHONPATH=ROOT,
             JSEMREP_CLASSIFIER_DIR=str(tmp_path / 'classifiers'))
  stdout = train_tiny_cli(make_config(), workdir, env)
  assert 'img/s' in stdout and 'ETA' in stdout
  assert checkpoint.latest_step(workdir) == 2
  # The evaluation programs run from another directory, with no config file at hand.
  stdout = run_module('eval.interpolate', f'--workdir={workdir}', '--paths_per_class_pair=1',
                      cwd=tmp_path, env=env)
  assert 'slerp_semantic' in stdout
  assert (workdir / 'eval' / 'interpolate.png').stat().st_size > 1000
  report = json.loads((workdir / 'eval' / 'interpolate.json').read_text())
  assert report['step'] == 2 and report['dataset'] == 'mnist5k'
  assert set(report['scores']) == {'lerp_direct', 'lerp_semantic', 'slerp_direct', 'slerp_semantic'}
  assert 0.0 <= report['scores']['slerp_semantic']['accuracy'] <= 1.0
  assert 0.0 <= report['classifier_test_accuracy'] <= 1.0
  run_module('eval.representation', f'--workdir={workdir}', cwd=tmp_path, env=env)
  assert (workdir / 'eval' / 'tsne.png').exists()
  run_module('eval.generation', f'--workdir={workdir}', '--samples=30', cwd=tmp_path, env=env)
  generation = json.loads((workdir / 'eval' / 'generation.json').read_text())
  assert np.isfinite(generation['prior']['fid'])
  run_module('eval.interpolate', f'--workdir={workdir}', '--split=validation',
             '--paths_per_class_pair=1', cwd=tmp_path, env=env)
  validation = json.loads((workdir / 'eval' / 'interpolate_validation.json').read_text())
  assert validation['split'] == 'validation' and validation['seed'] == 0
  kinds = validation['paths']['kinds']
  assert len(kinds['slerp_semantic']['visits']) == len(validation['paths']['start_index']) == 90
  # The classifier is cached now: evaluation while training scores interpolation too.
  train_tiny_cli(make_config(), workdir, env, '--config.num_steps=4', '--config.eval_every=2')
  records = [json.loads(line) for line in open(workdir / 'metrics.jsonl')]
  assert [r['step'] for r in records] == [1, 2, 3, 4]
  assert 'val_rec' not in records[1] and 'val_rec' not in records[2]
  assert 0 <= records[3]['val_slerp_semantic_acc'] <= 1 and records[3]['val_kl'] > 0
  assert 0 < records[3]['val_adjacent_angle_min_deg'] <= records[3]['val_adjacent_angle_mean_deg']
  table = run_module('eval.report', f'--runs={tmp_path / "runs"}', cwd=tmp_path, env=env)
  assert "| run | atnl (ordinal: this project's reading) | yes | 1 |" in table
  assert 'slerp semantic visits (validation)' in table and 'linear probe' in table
  assert 'FID prior (classifier features)' in table
  assert (tmp_path / 'runs' / 'results.png').exists()


def test_lines_model_and_eval_lines(make_config, tmp_path):
  workdir = tmp_path / 'lines'
  env = dict(os.environ, XLA_FLAGS='', PYTHONPATH=ROOT)
  train_tiny_cli(make_config(), workdir, env, '--config.data.name=lines', '--config.method=vae')
  stdout = run_module('eval.lines', f'--workdir={workdir}', '--paths=4', cwd=tmp_path, env=env)
  assert 'smoothness' in stdout
  result = json.loads((workdir / 'eval' / 'lines.json').read_text())
  assert result['slerp']['mean_distance'] >= 0 and result['lerp']['smoothness'] >= 0
  assert len(result['paths']['slerp']['smoothness']) == 4 and not result['uses_labels']
  assert (workdir / 'eval' / 'lines.png').exists()


def test_eval_without_checkpoint_says_how_to_train(tmp_path):
  with pytest.raises(CheckpointError, match='no checkpoint; train first'):
    checkpoint.restore_trained(tmp_path)
