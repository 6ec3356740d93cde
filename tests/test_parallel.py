"""4 simulated CPU devices compute the same update as 1 device for the same global batch."""

import shutil

import jax
import numpy as np
import pytest

from jsemrep import parallel
from tests.conftest import spec_of, stepper
from train import feed as feed_lib
from train import train


def run_steps(config, dataset, num_devices, steps):
  mesh = parallel.make_mesh(num_devices)
  state, step, knobs = stepper(spec_of(config), mesh)
  dataset = parallel.replicate(dataset, mesh)
  for _ in range(steps):
    state, metrics = step(state, dataset, knobs)
  return jax.device_get(state), jax.device_get(metrics)


@pytest.mark.parametrize('method', ['atnl', 'acai'])
def test_four_devices_equal_one_device(make_config, method):
  assert jax.device_count() >= 4
  config = make_config(method=method)
  rng = np.random.default_rng(0)
  dataset = {'image': rng.integers(0, 256, (64, 32, 32, 1), dtype=np.uint8),
             'label': rng.integers(0, 10, (64,)).astype(np.int32)}
  one, metrics_one = run_steps(config, dataset, 1, 3)
  four, metrics_four = run_steps(config, dataset, 4, 3)
  assert int(four.step) == 3
  assert metrics_one['atn' if method == 'atnl' else 'critic'] > 0
  for key in metrics_one:
    np.testing.assert_allclose(metrics_four[key], metrics_one[key], rtol=1e-4, atol=1e-6)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
               one.params, four.params)


def test_batch_size_must_divide_over_devices():
  mesh = parallel.make_mesh(4)
  try:
    parallel.check_batch_size(18, mesh)
  except ValueError as e:
    assert str(e) == ('config batch_size=18 is not allowed: it is not divisible by the 4 '
                      'devices of the data mesh')
  else:
    raise AssertionError('no error for batch 18 on 4 devices')


def test_a_run_saved_on_4_devices_continues_on_1_like_on_4(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path / 'base')
  finals = {}
  for devices in (4, 1):
    workdir = tmp_path / f'on{devices}'
    shutil.copytree(tmp_path / 'base', workdir)
    state = train.train_and_evaluate(make_config(num_steps=4, num_devices=devices), workdir)
    finals[devices] = jax.device_get(state.params)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
               finals[1], finals[4])


def test_the_three_data_placements_give_the_same_updates(make_config):
  """device, sharded (62 examples over 4 devices: padded shards) and host placement
  draw the same batches, so the parameters after 3 steps are bit-identical."""
  rng = np.random.default_rng(0)
  arrays = {'image': rng.integers(0, 256, (62, 32, 32, 1), dtype=np.uint8),
            'label': rng.integers(0, 10, (62,)).astype(np.int32)}
  mesh = parallel.make_mesh(4)
  finals = {}
  for placement in feed_lib.PLACEMENTS:
    config = make_config(**{'data.placement': placement, 'seed': 3})
    data_feed = feed_lib.Feed(arrays, placement, mesh, config.seed, config.batch_size)
    state, step, knobs = stepper(spec_of(config), mesh, num_examples=62)
    for i in range(3):
      state, _ = step(state, data_feed(i), knobs)
    data_feed.close()
    finals[placement] = jax.device_get(state.params)
  for placement in ('sharded', 'host'):
    jax.tree.map(np.testing.assert_array_equal, finals['device'], finals[placement])


def test_sharded_placement_holds_a_shard_per_device():
  arrays = {'image': np.zeros((62, 32, 32, 1), np.uint8), 'label': np.zeros((62,), np.int32)}
  placed = feed_lib.Feed(arrays, 'sharded', parallel.make_mesh(4), 0, 16)(0)
  assert {s.data.shape for s in placed['image'].addressable_shards} == {(16, 32, 32, 1)}


def test_host_placement_reads_the_files_and_trains_what_the_device_placement_trains(
    make_config, tmp_path, monkeypatch):
  """data.placement=host reads each batch from the prepared files by random access
  (jsemrep.data.Records) and never loads the split: the same batches, the same parameters."""
  from jsemrep.data import pipeline  # pylint: disable=import-outside-toplevel
  monkeypatch.setattr(pipeline, 'load', None)   # the whole split must never be read
  host = train.train_and_evaluate(make_config(num_steps=3, **{'data.placement': 'host'}),
                                  tmp_path / 'host')
  monkeypatch.undo()
  device = train.train_and_evaluate(make_config(num_steps=3), tmp_path / 'device')
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(host.params),
               jax.device_get(device.params))
