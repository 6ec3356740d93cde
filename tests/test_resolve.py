"""Resolve once: the config is validated once per run, each workdir's stored record read
once, the method bound once and the optimisers built once; below the resolved spec
nothing reads the ConfigDict. Every spec field declares what a resume does with it."""

import collections
import dataclasses
import glob
import importlib
import os

import ml_collections
import numpy as np
import pytest

from jsemrep import checkpoint
from jsemrep import methods
from jsemrep import spec as spec_lib
from jsemrep.errors import ConfigError
from jsemrep.methods import presets
from tests.conftest import ROOT, spec_of
from train import resolve
from train import train


@pytest.fixture
def counted(monkeypatch):
  """Counts of the resolving calls, and of ConfigDict reads after the method is bound."""
  counts = collections.Counter()
  read_spec_dirs = collections.Counter()
  bound = []

  def wrap(module, name, key=None, after=None):
    original = getattr(module, name)

    def call(*args, **kwargs):
      counts[key or name] += 1
      if name == 'read_spec':
        read_spec_dirs[os.fspath(args[0])] += 1
      result = original(*args, **kwargs)
      if after:
        after()
      return result
    monkeypatch.setattr(module, name, call)

  wrap(resolve, 'validate')
  wrap(checkpoint, 'read_spec')
  wrap(methods, 'bind', after=lambda: bound.append(True))
  wrap(presets, 'adam_direction')
  for name in ('__getattr__', '__getitem__', 'get'):
    original = getattr(ml_collections.ConfigDict, name)

    def read(self, *args, _original=original, **kwargs):
      if bound:
        counts['config read after bind'] += 1
      return _original(self, *args, **kwargs)
    monkeypatch.setattr(ml_collections.ConfigDict, name, read)
  def reset():
    counts.clear()
    read_spec_dirs.clear()
    bound.clear()
  return counts, read_spec_dirs, reset


def test_a_run_resolves_once(make_config, tmp_path, counted):
  counts, read_spec_dirs, reset = counted
  train.train_and_evaluate(make_config(num_steps=2, eval_every=2, evals='reconstruction'),
                           tmp_path / 'run')
  assert counts['validate'] == 1 and counts['bind'] == 1
  assert counts['adam_direction'] == 1          # atnl: one player, one optimiser
  assert dict(read_spec_dirs) == {os.fspath(tmp_path / 'run'): 1}
  assert counts['config read after bind'] == 0
  reset()
  train.train_and_evaluate(make_config(num_steps=4),
                           tmp_path / 'run')   # a resume
  assert counts['validate'] == 1 and counts['bind'] == 1 and counts['adam_direction'] == 1
  assert dict(read_spec_dirs) == {os.fspath(tmp_path / 'run'): 1}
  assert counts['config read after bind'] == 0


def test_a_2x2_sweep_resolves_each_variant_once(make_config, tmp_path, counted):
  counts, read_spec_dirs, reset = counted
  config = make_config(num_steps=2, sweep='atn.margin=0.6,0.9 seed=0,1', method='aae')
  for _ in range(2):   # trained, then resumed
    reset()
    train.train_and_evaluate(config, tmp_path)
    assert counts['validate'] == 4 and counts['bind'] == 1
    assert counts['adam_direction'] == 2        # aae: the autoencoder and the critic, once
    assert sorted(read_spec_dirs.values()) == [1, 1, 1, 1] and len(read_spec_dirs) == 4
    assert counts['config read after bind'] == 0


def _fields(cls, prefix=''):
  for f in dataclasses.fields(cls):
    if dataclasses.is_dataclass(f.type):
      yield from _fields(f.type, f'{prefix}{f.name}.')
    else:
      yield prefix + f.name, f


def test_every_spec_field_declares_its_resume_policy():
  for key, f in _fields(spec_lib.RunSpec):
    assert f.metadata.get('resume') in spec_lib.POLICIES, key
  knobs = {f.metadata['knob'] for _, f in _fields(spec_lib.RunSpec) if f.metadata.get('knob')}
  assert knobs == {f.name for f in dataclasses.fields(spec_lib.Knobs)}


def test_every_config_key_reaches_the_spec_or_the_sweep(make_config):
  """A config key the spec does not carry would be read by nobody."""
  spec_keys = {key for key, _ in _fields(spec_lib.RunSpec)}
  config_keys = set()

  def walk(node, prefix=''):
    for key, value in node.items():
      if isinstance(value, ml_collections.ConfigDict):
        walk(value, f'{prefix}{key}.')
      else:
        config_keys.add(prefix + key)
  walk(make_config())
  weights = {k for k in config_keys if k.startswith('loss.weights.')}
  assert config_keys - weights - {'sweep', 'sweep_mode'} <= spec_keys
  assert spec_keys - config_keys == {'data.num_classes', 'loss.weights'}


def test_a_spec_round_trips_through_its_record(make_config):
  spec = spec_of(make_config(method='aae', **{'loss.weights.adv': 0.01}))
  assert spec_lib.RunSpec.from_json(spec.to_json()) == spec
  assert hash(spec) == hash(spec_lib.RunSpec.from_json(spec.to_json()))


def test_an_explicit_image_shape_must_be_the_datas_and_an_unset_one_is_taken(make_config):
  config = make_config(**{'model.image_shape': (32, 32, 1)})
  assert spec_of(config).model.image_shape == (32, 32, 1)
  with pytest.raises(ConfigError, match=r'config model.image_shape=\(32, 32, 1\) is not allowed: '
                                        r'the images of mnist5k are \(64, 64, 3\)'):
    spec_of(config, image_shape=(64, 64, 3))


@pytest.mark.parametrize('path', sorted(glob.glob(os.path.join(ROOT, 'train/configs/*.py'))))
def test_every_config_takes_the_shape_of_any_dataset(path, make_config):
  """heads_atnl (64x64x3) on mnist5k: the model takes the 32x32x1 digits."""
  name = os.path.splitext(os.path.basename(path))[0]
  if name in ('__init__', 'default'):
    return
  config = importlib.import_module(f'train.configs.{name}').get_config()
  config.data.name = 'mnist5k'
  assert spec_of(config).model.image_shape == (32, 32, 1)


def test_host_placement_refuses_a_vmap_sweep_over_seeds(make_config, tmp_path):
  config = make_config(sweep='seed=0,1', sweep_mode='vmap', **{'data.placement': 'host'})
  with pytest.raises(ConfigError) as e:
    train.train_and_evaluate(config, tmp_path)
  assert str(e.value) == ('config data.placement=host gathers one batch order on the host: a vmap '
                          'sweep over seeds needs data.placement=device or sharded (or '
                          'sweep_mode=sequential)')
  assert not (tmp_path / 'sweep.json').exists()


def test_variants_at_different_steps_are_not_stepped_together(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2, seed=0), tmp_path / 'seed0')
  with pytest.raises(ConfigError) as e:
    train.train_and_evaluate(make_config(num_steps=4, sweep='seed=0,1', sweep_mode='vmap'),
                             tmp_path)
  assert str(e.value) == ('the variants stepped together are at different steps ([2, 0]); '
                          'resume them with --config.sweep_mode=sequential')
  assert not (tmp_path / 'sweep.json').exists()   # refused before anything is written


def test_a_split_method_needs_an_identity_at_two_classes(make_config):
  spec = spec_of(make_config(method='atnl_split', **{'model.semantic_dims': 3}), num_classes=3)
  train_split = {'identity': np.array([0, 1, 2]), 'label': np.array([0, 1, 2])}
  with pytest.raises(ConfigError) as e:
    resolve.paired_data(spec, train_split)
  assert str(e.value) == ('method atnl_split: no identity of mnist5k appears at two classes, so '
                          'there is nothing to cross-reconstruct')
