"""Caches and records that several processes share: dataset preparation and reader
training take a lock (the second waits, then reuses), records are written whole, a
damaged cache says what to delete, and evaluation refuses bad options before any work."""

import json
import os
import subprocess
import sys
import threading
import time

import jax.numpy as jnp
import numpy as np
import pytest

from eval import common
from jsemrep import files
from jsemrep.errors import ConfigError, DataError
from jsemrep.readers import cache as reader_cache
from tests.conftest import ROOT, program_env
from train import sweep as sweep_lib
from train import train


def test_three_processes_preparing_one_dataset_at_once_all_succeed(mnist5k_dir, tmp_path):
  code = ('import sys; from jsemrep import data; '
          f'data.prepare("mnist5k", {str(tmp_path)!r}, {str(mnist5k_dir)!r}); print("ok")')
  procs = [subprocess.Popen([sys.executable, '-c', code], cwd=ROOT, env=program_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for _ in range(3)]
  outs = [p.communicate(timeout=300) for p in procs]
  assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outs]
  assert not [n for n in os.listdir(tmp_path / 'mnist5k') if n.startswith('incomplete')]


def test_two_evaluations_needing_one_missing_reader_train_it_once(tmp_path, monkeypatch):
  monkeypatch.setenv('JSEMREP_CLASSIFIER_DIR', str(tmp_path))
  trained = []

  def train_reader(directory, *args):
    trained.append(directory)
    time.sleep(0.5)    # the other caller arrives meanwhile and waits at the lock
    os.makedirs(directory, exist_ok=True)
    files.write_json(os.path.join(directory, 'info.json'), {
        'data_version': reader_cache.data.version('mnist5k'),
        'classifier_version': reader_cache.VERSION})
  monkeypatch.setattr(reader_cache, '_train_reader', train_reader)
  monkeypatch.setattr(reader_cache, '_restore', lambda directory, *args: directory)
  threads = [threading.Thread(target=reader_cache.load_or_train, args=('mnist5k',))
             for _ in range(2)]
  for t in threads:
    t.start()
  for t in threads:
    t.join()
  assert trained == [os.path.join(str(tmp_path), 'mnist5k')]


def test_a_reader_cache_of_another_version_or_damaged_is_trained_again(tmp_path, monkeypatch):
  monkeypatch.setenv('JSEMREP_CLASSIFIER_DIR', str(tmp_path))
  directory = reader_cache.classifier_dir('mnist5k')
  os.makedirs(directory)
  info = {'data_version': reader_cache.data.version('mnist5k'),
          'classifier_version': reader_cache.VERSION}
  for stored, current in ((info, True), ({**info, 'classifier_version': 4}, False),
                          ('{"data_version": "1.1', False)):
    with open(os.path.join(directory, 'info.json'), 'w', encoding='utf-8') as f:
      f.write(stored if isinstance(stored, str) else json.dumps(stored))
    assert reader_cache._current(reader_cache._stored_info(directory), 'mnist5k') is current  # pylint: disable=protected-access
  os.makedirs(reader_cache.autoencoder_dir('mnist5k'))
  assert reader_cache.load_cached('mnist5k') is None   # a damaged one is not read


def test_damaged_reader_params_name_the_directory_to_delete(tmp_path):
  (tmp_path / 'params').mkdir()
  (tmp_path / 'params' / '_METADATA').write_text('{broken')
  with pytest.raises(DataError, match=f'the reader stored in {tmp_path} is damaged .*: delete '
                                      'that directory and it is trained again'):
    reader_cache._restore_params(str(tmp_path), lambda: {'w': jnp.zeros(3)})  # pylint: disable=protected-access


def test_reader_params_whose_bytes_changed_are_refused_by_their_digests(tmp_path):
  params = {'w': np.arange(3, dtype=np.float32)}
  reader_cache.save(str(tmp_path), params, {'dataset': 'x'})
  restore = lambda: reader_cache._restore_params(str(tmp_path), lambda: {'w': jnp.zeros(3)})  # pylint: disable=protected-access
  np.testing.assert_array_equal(restore()['w'], params['w'])
  info = json.loads((tmp_path / 'info.json').read_text())
  info['digests']["['w']"] = '0' * 64       # as if the stored bytes no longer matched
  (tmp_path / 'info.json').write_text(json.dumps(info))
  with pytest.raises(DataError, match='is damaged .*do not match the digests saved with them.*'
                                      'delete that directory'):
    restore()


def test_an_unwritable_reader_cache_is_refused_before_training(tmp_path, monkeypatch):
  (tmp_path / 'file').write_text('')
  monkeypatch.setenv('JSEMREP_CLASSIFIER_DIR', str(tmp_path / 'file' / 'cache'))
  with pytest.raises(DataError, match=r"the readers' cache .*/file/cache/mnist5k is not writable"):
    reader_cache.load_or_train('mnist5k')


def test_a_trailing_slash_in_the_data_dir_names_the_same_caches(tmp_path, monkeypatch):
  monkeypatch.delenv('JSEMREP_CLASSIFIER_DIR', raising=False)
  assert reader_cache.classifier_dir('mnist5k', f'{tmp_path}/datasets/') == \
      reader_cache.classifier_dir('mnist5k', f'{tmp_path}/datasets')


def test_a_damaged_sweep_record_is_one_line(make_config, tmp_path):
  (tmp_path / 'sweep.json').write_text('{"sweep": "seed=0,1", "vari')
  with pytest.raises(ConfigError, match=r'sweep.json is damaged .*: delete it and run every '
                                        'command of the sweep again'):
    train.train_and_evaluate(make_config(num_steps=2, sweep='seed=0,1'), tmp_path)


def test_a_sweep_refused_after_loading_the_data_leaves_no_record(make_config, tmp_path):
  with pytest.raises(ConfigError, match='batch_size=512 is not allowed'):
    train.train_and_evaluate(make_config(sweep='seed=0,1', batch_size=512), tmp_path)
  assert not (tmp_path / 'sweep.json').exists()


def test_two_extensions_at_once_both_stay_recorded(tmp_path):
  writers = [threading.Thread(target=sweep_lib.write_record,
                              args=(str(tmp_path), f'seed={s}', 'sequential', [{'seed': s}], {}))
             for s in range(6)]
  for w in writers:
    w.start()
  for w in writers:
    w.join()
  record = json.loads((tmp_path / 'sweep.json').read_text())
  assert sorted(v['workdir'] for v in record['variants']) == [f'seed{s}' for s in range(6)]


@pytest.mark.parametrize('flag_values, seed, message', [
    ({'images_per_class_step': 0}, 0, '--images_per_class_step=0 is not allowed: a positive'),
    ({'paths_per_class_pair': 0}, 0, '--paths_per_class_pair=0 is not allowed: a positive'),
    ({'figure_images': 5000}, 0, '--figure_images=5000 is not allowed: at most 100 rows'),
    ({}, -1, '--seed=-1 is not allowed: an integer from 0'),
])
def test_bad_evaluation_options_are_refused_before_any_work(tmp_path, flag_values, seed, message):
  with pytest.raises(ConfigError, match=message.replace('+', r'\+')):
    common.evaluate(str(tmp_path / 'no_run'), ['interpolate', 'viewpoint'], seed=seed,
                    flag_values=flag_values)


def test_a_result_made_with_other_options_is_not_replaced_unless_forced(tiny_run, tmp_path):
  import shutil  # pylint: disable=import-outside-toplevel
  workdir = tmp_path / 'run'
  shutil.copytree(tiny_run, workdir)
  (workdir / 'eval').mkdir(exist_ok=True)
  made = {'options': {'chunk': 250}, 'eval_seed': 0}
  (workdir / 'eval' / 'reconstruction.json').write_text(json.dumps(made))
  with pytest.raises(ConfigError, match=r'reconstruction.json was made with options '
                                        r"\{'chunk': 250\} and seed 0; this asks for "
                                        r"\{'chunk': 500\} and seed 0: pass --force to replace it"):
    common.evaluate(str(workdir), ['reconstruction'])
  common.evaluate(str(workdir), ['reconstruction'], force=True)
  assert json.loads((workdir / 'eval' / 'reconstruction.json').read_text())['options'] == {
      'chunk': 500}


@pytest.mark.parametrize('damage', ['truncate', 'info'])
def test_damaged_prepared_files_are_one_line_naming_what_to_delete(mnist5k_dir, tmp_path, damage):
  from jsemrep import data  # pylint: disable=import-outside-toplevel
  data.load('mnist5k', 'train', str(tmp_path), str(mnist5k_dir))
  version_dir = next((tmp_path / 'mnist5k').iterdir())
  if damage == 'truncate':
    for path in version_dir.glob('*train.array_record*'):
      path.write_bytes(path.read_bytes()[:100])
  else:
    (version_dir / 'dataset_info.json').unlink()
  with pytest.raises(DataError, match=f'the prepared files of mnist5k in {tmp_path}/mnist5k do not '
                                      r'read back \(.*\): delete .* and they are prepared again'):
    data.load('mnist5k', 'train', str(tmp_path), str(mnist5k_dir))


def test_a_program_pointed_at_a_sweep_root_is_told_to_pick_a_run(tmp_path):
  from jsemrep import runs  # pylint: disable=import-outside-toplevel
  from jsemrep.errors import CheckpointError  # pylint: disable=import-outside-toplevel
  (tmp_path / 'sweep.json').write_text('{"variants": []}')
  with pytest.raises(CheckpointError, match=f'{tmp_path} is the directory of a sweep, not of one '
                                            'run: give one of its runs'):
    runs.load_run(str(tmp_path))


def test_an_evaluator_that_does_not_apply_while_training_is_said(tiny_run):
  import dataclasses  # pylint: disable=import-outside-toplevel
  from jsemrep import runs  # pylint: disable=import-outside-toplevel
  from train import during  # pylint: disable=import-outside-toplevel
  spec = dataclasses.replace(runs.load_run(str(tiny_run)).spec, evals='reconstruction,leak')
  said = []
  during.DuringTraining(spec, said.append)
  assert said == ['evaluation while training: leak does not apply to this run (atnl on mnist5k, '
                  'semantic_dims 0); it is not run']


def test_a_run_name_with_a_bar_stays_one_cell_of_the_report():
  from jsemrep.report import tables  # pylint: disable=import-outside-toplevel
  text = tables._table('### t', ['run'], {'a|b': (['a|b'], {'x': (1.0, 1.0, 1.0, 1)})},  # pylint: disable=protected-access
                       [('x', True)])
  assert text[4] == r'| a\|b | 1.000 |'


def test_an_empty_workdir_is_refused_before_the_data_is_loaded(make_config):
  with pytest.raises(ConfigError, match='--workdir is empty'):
    train.train_and_evaluate(make_config(**{'data.name': 'lines'}), '')


def test_load_run_reads_again_when_a_trainer_rotates_the_newest_step_away(tiny_run, tmp_path,
                                                                         monkeypatch):
  import shutil  # pylint: disable=import-outside-toplevel
  from jsemrep import checkpoint, runs  # pylint: disable=import-outside-toplevel
  from jsemrep.errors import CheckpointError  # pylint: disable=import-outside-toplevel
  shutil.copytree(tiny_run, tmp_path / 'run')
  original = checkpoint.restore_good

  def rotated(mngr, workdir, *args, **kwargs):   # step 4 vanishes while it is being read
    monkeypatch.setattr(checkpoint, 'restore_good', original)
    shutil.rmtree(tmp_path / 'run' / 'checkpoints' / '4')
    raise CheckpointError('checkpoint .../4 is unusable: FileNotFoundError')
  monkeypatch.setattr(checkpoint, 'restore_good', rotated)
  assert runs.load_run(str(tmp_path / 'run')).step == 2


def test_records_written_atomically_are_readable_by_others_sharing_the_cache(tmp_path):
  """As a plain open() would make them (umask 022: rw-r--r--), not mkstemp's rw-------."""
  old = os.umask(0o022)
  try:
    files.write_json(tmp_path / 'info.json', {'a': 1})
  finally:
    os.umask(old)
  assert (tmp_path / 'info.json').stat().st_mode & 0o777 == 0o644
  assert json.loads((tmp_path / 'info.json').read_text()) == {'a': 1}

