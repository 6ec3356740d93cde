"""The training program: resume exactness, outputs on disk, the CLI and eval restore."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from eval import common
from jsemrep import checkpoint
from jsemrep import runs
from jsemrep.errors import CheckpointError, ConfigError
from tests.conftest import program_env
from train import train
from train.configs import demo

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


# Per-leaf sums of |param| after 4 steps of the demo config on the tiny fixture, as
# trained by the commit before term keys were derived from term names (bd604ab's step):
# atnl and triplet draw what they drew before.
BEFORE_TERM_KEYS = {
    'atnl': [0.05073344, 38.83111, 0.05752014, 51.72177, 0.3948044, 428.5587, 0.1154983,
             146.5486, 0.063154, 74.09008, 0.01599171, 15.12157, 0.01250039, 12.67171,
             0.01726022, 52.48174, 0.01471968, 75.44984, 0.04021854, 146.8516, 0.0325873,
             49.19354, 0.04788147, 50.94898],
    'triplet': [0.05128734, 38.83123, 0.05762905, 51.71893, 0.3939068, 428.5592, 0.1160562,
                146.5498, 0.06312571, 74.08653, 0.01599069, 15.12146, 0.01064588, 12.69007,
                0.01554125, 52.4641, 0.01191452, 75.58479, 0.02997736, 146.6927, 0.02287096,
                49.19963, 0.0407742, 50.96453]}


@pytest.mark.parametrize('method', sorted(BEFORE_TERM_KEYS))
def test_the_demo_config_trains_the_parameters_it_trained_before(make_config, tmp_path, method):
  config = demo.get_config()
  tiny = make_config(num_steps=4, checkpoint_every=4, method=method)
  for key in ('data', 'model', 'batch_size', 'num_steps', 'log_every', 'checkpoint_every'):
    config[key] = tiny[key]
  config.eval_every, config.method = 0, method
  state = train.train_and_evaluate(config, tmp_path / 'run')
  sums = [float(np.abs(leaf).sum()) for leaf in jax.tree.leaves(jax.device_get(state.params['vae']))]
  np.testing.assert_allclose(sums, BEFORE_TERM_KEYS[method], rtol=1e-5)


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


def test_cli_trains_evaluates_and_reports_without_the_config_file(make_config, tmp_path):
  """The one end-to-end chain of programs (each a subprocess): train.main, then
  eval.evaluate from another directory with no config file at hand, then eval.report.
  The other programs are the same code called in process (test_evaluators)."""
  workdir = tmp_path / 'runs' / 'run'
  env = program_env()
  stdout = train_tiny_cli(make_config(), workdir, env)
  assert 'img/s' in stdout and 'ETA' in stdout
  assert checkpoint.latest_step(workdir) == 2
  stdout = run_module('eval.evaluate', f'--workdir={workdir}', '--evaluators=reconstruction',
                      '--chunk=20', cwd=tmp_path, env=env)
  record = json.loads((workdir / 'eval' / 'reconstruction.json').read_text())
  assert f'reconstruction: rec. loss {record["scores"]["rec"]:.3f}' in stdout
  assert record['step'] == 2 and record['dataset'] == 'mnist5k' and record['options'] == {
      'chunk': 20}
  table = run_module('eval.report', f'--runs={tmp_path / "runs"}', cwd=tmp_path, env=env)
  assert "| run | atnl (ordinal: this project's reading) | yes | 1 |" in table
  assert '| rec. loss | KL |' in table


def test_lines_model_and_eval_lines(make_config, tiny_run, tmp_path):
  workdir = tmp_path / 'lines'
  train.train_and_evaluate(make_config(**{'data.name': 'lines', 'method': 'vae'}), workdir)
  common.evaluate(str(workdir), ['lines'], flag_values={'paths': 4})
  result = json.loads((workdir / 'eval' / 'lines.json').read_text())
  for interp in ('lerp', 'slerp'):
    per_path = result['paths'][interp]
    assert len(per_path['smoothness']) == 4 and not result['uses_labels']
    assert result['scores'][interp]['mean_distance'] == pytest.approx(np.mean(per_path['distance']))
  assert (workdir / 'eval' / 'lines.png').exists()
  with pytest.raises(ConfigError, match=r'evaluator lines does not apply to .*tiny_run.* \(method '
                                        r'atnl on mnist5k\)'):
    common.evaluate(str(tiny_run), ['lines'])


def test_eval_without_checkpoint_says_how_to_train(tmp_path):
  with pytest.raises(CheckpointError, match='no checkpoint; train first'):
    runs.restore_trained(tmp_path)


def test_training_notes_when_the_constant_ordinal_margin_cannot_be_met(make_config, tmp_path,
                                                                      capsys):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path / 'constant')
  assert ('note: atn.margin=1.2 cannot be met by the ordinal rule over 10 classes (9 x 1.2 > '
          'pi)') in capsys.readouterr().out
  train.train_and_evaluate(make_config(num_steps=2, **{'atn.margin_mode': 'graded',
                                                       'atn.margin': 0.3}), tmp_path / 'graded')
  assert 'cannot be met' not in capsys.readouterr().out


def test_an_image_shape_that_is_not_the_datas_is_refused(make_config, tmp_path):
  with pytest.raises(ConfigError) as e:
    train.train_and_evaluate(make_config(**{'model.image_shape': (64, 64, 1)}), tmp_path)
  assert str(e.value) == ('config model.image_shape=(64, 64, 1) is not allowed: the images of '
                          "mnist5k are (32, 32, 1), and the model takes the data's shape (leave "
                          '--config.model.image_shape out)')
  assert not (tmp_path / 'checkpoints').exists()
