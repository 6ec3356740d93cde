"""Sweeps: knobs as data, one compiled step for every variant, each variant an
ordinary run directory equal to the run trained alone."""

import json

import jax
import numpy as np
import pytest

from jsemrep import checkpoint
from jsemrep.errors import ConfigError
from tests.conftest import spec_of
from train import resolve
from train import sweep as sweep_lib
from train import train


def test_parse_is_the_product_in_the_order_written():
  assert sweep_lib.parse('atn.margin=0.9,1.2 seed=0,1') == [
      {'atn.margin': 0.9, 'seed': 0}, {'atn.margin': 0.9, 'seed': 1},
      {'atn.margin': 1.2, 'seed': 0}, {'atn.margin': 1.2, 'seed': 1}]
  assert sweep_lib.parse('loss.weights.kl=0,0.001') == [{'loss.weights.kl': 0.0},
                                                     {'loss.weights.kl': 0.001}]


@pytest.mark.parametrize('text, message', [
    ('model.latent_dim=8,16', 'config sweep: model.latent_dim cannot be swept in one compiled '
                              'step; sweepable: seed, atn.margin, triplet.margin, acai.gamma, '
                              'learning_rate, critic.learning_rate, loss.weights.NAME'),
    ('seed=0,-1', "config sweep: seed='-1' is not an integer from 0 to 2147483647"),
    ('atn.margin=0.9,x', "config sweep: atn.margin='x' is not a finite number"),
    ('seed=0 seed=1', 'config sweep: seed is given twice'),
    ('seed=1,1', 'config sweep: seed repeats a value (1,1)'),
    ('margin', "config sweep: 'margin' is not KEY=VALUE[,VALUE...]"),
])
def test_bad_sweeps_are_one_error(text, message):
  with pytest.raises(ConfigError, match='^' + message.replace('(', r'\(').replace(')', r'\)')
                     .replace('[', r'\[').replace(']', r'\]').replace('.', r'\.')):
    sweep_lib.parse(text)


def test_a_variant_out_of_range_is_refused_before_anything_is_written(make_config, tmp_path):
  config = make_config(sweep='atn.margin=0.9,4.0')
  with pytest.raises(ConfigError, match=r'config atn\.margin=4\.0 is not allowed'):
    train.train_and_evaluate(config, tmp_path / 'sweep')
  assert not (tmp_path / 'sweep').exists()
  with pytest.raises(ConfigError, match="config sweep_mode='parallel' is not allowed"):
    resolve.validate(make_config(sweep_mode='parallel'))


def test_variant_names_put_the_seed_last():
  assert sweep_lib.variant_name({'atn.margin': 0.9, 'seed': 1}) == 'atn.margin=0.9/seed1'
  assert sweep_lib.variant_name({'seed': 2}) == 'seed2'
  assert sweep_lib.variant_name({'loss.weights.kl': 0.001}) == 'loss.weights.kl=0.001'
  # values that agree to 6 significant digits still get their own directories
  assert sweep_lib.variant_name({'atn.margin': 0.5000001}) == 'atn.margin=0.5000001'
  assert sweep_lib.variant_name({'atn.margin': 0.5}) == 'atn.margin=0.5'


def test_the_static_spec_blanks_every_knob_and_knobs_carry_them(make_config):
  spec = spec_of(make_config(seed=7, learning_rate=0.01, **{'atn.margin': 0.5}))
  static = spec.static()
  assert static.atn.margin is None and static.seed is None and static.learning_rate is None
  assert static.loss.weights is None and static.critic.learning_rate is None
  assert static.atn.neighbor == 'ordinal' and static.model == spec.model
  knobs = spec.knobs(['atn', 'kl', 'rec', 'toy'])
  assert float(knobs.atn_margin) == 0.5 and int(knobs.seed) == 7
  assert float(knobs.learning_rate) == np.float32(0.01)
  assert {k: float(v) for k, v in knobs.weights.items()} == pytest.approx(
      {'atn': 1.0, 'kl': 1e-4, 'rec': 10.0, 'toy': 0.0})


def _params(state):
  return jax.device_get(state.params)


def test_sequential_sweep_equals_the_runs_trained_alone(make_config, tmp_path):
  """A 2 x 2 margin x seed sweep: four run directories, each equal (bit for bit) to
  the run of that margin and seed trained on its own."""
  sweep = make_config(num_steps=3, sweep='atn.margin=0.6,1.2 seed=0,1')
  states = train.train_and_evaluate(sweep, tmp_path / 'sweep')
  assert len(states) == 4
  record = json.loads((tmp_path / 'sweep' / 'sweep.json').read_text())
  assert [v['workdir'] for v in record['variants']][:2] == ['atn.margin=0.6/seed0',
                                                           'atn.margin=0.6/seed1']
  for v in record['variants']:
    workdir = tmp_path / 'sweep' / v['workdir']
    assert checkpoint.latest_step(workdir) == 3
    stored = checkpoint.read_spec(workdir)
    assert stored.atn.margin == v['overrides']['atn.margin'] and stored.seed == v['overrides']['seed']
    assert (workdir / 'metrics.jsonl').exists()
  for index, (margin, seed) in ((0, (0.6, 0)), (3, (1.2, 1))):
    alone = train.train_and_evaluate(make_config(num_steps=3, **{'atn.margin': margin, 'seed': seed}),
                                     tmp_path / f'alone{index}')
    jax.tree.map(np.testing.assert_array_equal, _params(alone), _params(states[index]))
  resumed = train.train_and_evaluate(make_config(num_steps=4, sweep=sweep.sweep), tmp_path / 'sweep')
  assert all(int(s.step) == 4 for s in resumed)


def test_vmap_sweep_matches_separate_runs_and_keeps_a_zero_weight_term(make_config, tmp_path):
  config = make_config(num_steps=3, sweep='loss.weights.kl=0,0.01 seed=1', sweep_mode='vmap')
  states = train.train_and_evaluate(config, tmp_path / 'sweep')
  metrics = [json.loads(line) for line in
             open(tmp_path / 'sweep' / 'loss.weights.kl=0' / 'seed1' / 'metrics.jsonl')]
  assert 'kl' in metrics[-1]     # the term stays in the graph at weight 0
  for index, (kl, seed) in enumerate(((0.0, 1),)):
    alone = train.train_and_evaluate(
        make_config(num_steps=3, seed=seed, **{'loss.weights.kl': kl}), tmp_path / f'alone{index}')
    # vmapped convolutions sum in another order; Adam's first steps divide by
    # sqrt(v), so ulp-level gradient differences reach ~1e-4 relative in 3 steps.
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4),
                 _params(alone), _params(states[index]))


def test_a_sweep_over_a_weight_that_is_0_somewhere_equals_the_separate_runs(make_config, tmp_path):
  """atnl_adv alone at adv=0 drops the term; its sweep variant keeps it at weight 0.
  Each term's key comes from its name, so both draw the same ATN triplets and the
  runs are bit-identical (keys by sorted position made them differ)."""
  sweep = make_config(num_steps=3, method='atnl_adv', sweep='loss.weights.adv=0,0.01')
  states = train.train_and_evaluate(sweep, tmp_path / 'sweep')
  for index, adv in enumerate((0.0,)):   # the variant at 0: alone, the term is left out
    alone = train.train_and_evaluate(
        make_config(num_steps=3, method='atnl_adv', **{'loss.weights.adv': adv}),
        tmp_path / f'alone{index}')
    jax.tree.map(np.testing.assert_array_equal, _params(alone), _params(states[index]))


def test_a_diverging_variant_is_stopped_alone_named_and_marked(make_config, tmp_path):
  sweep = make_config(num_steps=4, sweep='loss.weights.kl=1e38,0.0001')
  with pytest.raises(train.SweepError, match=r'1 of 2 sweep variants failed \(the others '
                                             r'trained; see sweep.json\): .*loss.weights.kl=1e\+38: '
                                             r'(training diverged|the state at step \d+ is not '
                                             r'finite)'):
    train.train_and_evaluate(sweep, tmp_path)
  record = json.loads((tmp_path / 'sweep.json').read_text())
  assert 'failed' in record['variants'][0] and 'failed' not in record['variants'][1]
  assert checkpoint.latest_step(tmp_path / 'loss.weights.kl=0.0001') == 4
  # A rerun does not retrain the finished variant and fails the same way on the other.
  with pytest.raises(train.SweepError):
    train.train_and_evaluate(sweep, tmp_path)
  assert checkpoint.latest_step(tmp_path / 'loss.weights.kl=0.0001') == 4


def test_a_diverging_variant_of_a_vmap_sweep_is_stopped_alone_and_the_others_finish(make_config,
                                                                                    tmp_path):
  sweep = make_config(num_steps=4, sweep='loss.weights.kl=1e38,0.001', sweep_mode='vmap')
  with pytest.raises(train.SweepError, match=r'1 of 2 sweep variants failed .*kl=1e\+38'):
    train.train_and_evaluate(sweep, tmp_path)
  record = json.loads((tmp_path / 'sweep.json').read_text())
  assert ['failed' in v for v in record['variants']] == [True, False]
  assert checkpoint.latest_step(tmp_path / 'loss.weights.kl=0.001') == 4
