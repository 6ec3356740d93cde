"""Method presets: each trains, two-player steps move both players, signs are right."""

import json
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jsemrep import losses
from jsemrep import methods
from jsemrep import pairing
from jsemrep import parallel
from jsemrep.methods import critics
from jsemrep.methods import terms
from tests.conftest import spec_of, stepper
from train import train


def random_dataset(n=32, seed=0):
  rng = np.random.default_rng(seed)
  return {'image': rng.integers(0, 256, (n, 32, 32, 1), dtype=np.uint8),
          'label': rng.integers(0, 10, (n,)).astype(np.int32)}


@pytest.mark.parametrize('name', sorted(methods.PRESETS))
def test_each_preset_steps_with_finite_losses(make_config, name):
  preset = methods.method(name)
  paired = preset.paired
  spec = spec_of(make_config(method=name, **({'model.semantic_dims': 3} if preset.split else {})))
  mesh = parallel.make_mesh(1)
  dataset, pairs = random_dataset(), None
  if paired:   # 16 identities, each at the random classes its examples have
    dataset['identity_row'], pairs = pairing.index_table(np.arange(32) % 16, dataset['label'], 10)
  state, step, knobs = stepper(spec, mesh, pairs=pairs)
  before = jax.device_get(state.params)
  dataset = parallel.replicate(dataset, mesh)
  for _ in range(2):
    state, metrics = step(state, dataset, knobs)
  metrics = jax.device_get(metrics)
  assert {n for n, _ in spec.loss.weights} <= set(metrics)
  assert all(np.isfinite(v) for v in metrics.values()), metrics
  after = jax.device_get(state.params)
  assert set(after) == ({'vae', 'critic'} if preset.critic else {'vae'})
  for player in after:   # every player's parameters moved
    moved = jax.tree.leaves(jax.tree.map(lambda a, b: np.any(a != b), before[player], after[player]))
    assert any(moved), player


def test_unknown_method_lists_the_known_ones(make_config):
  with pytest.raises(ValueError, match="unknown method 'gan'; known: aae, acai, atnl"):
    methods.method('gan')


def test_a_weight_of_zero_keeps_a_preset_term_at_0_and_leaves_an_extra_term_out(make_config):
  spec = spec_of(make_config(method='atnl', **{'loss.weights.kl': 0.0,
                                                'loss.weights.triplet': 0.0}))
  assert spec.loss.weights == (('atn', 1.0), ('kl', 0.0), ('rec', 10.0))
  assert set(methods.bind([spec]).terms) == {'rec', 'kl', 'atn'}
  assert methods.uses_labels(spec)
  assert not methods.uses_labels(spec_of(make_config(method='atnl', **{'loss.weights.atn': 0.0})))


def test_the_adversarial_term_and_weight_come_from_the_critic(make_config):
  aae = spec_of(make_config(method='aae'))
  bound = methods.bind([aae])
  assert bound.terms['adv'] is critics.gan_generator_term
  assert aae.loss.weight('adv') == critics.LATENT_GAN.weight
  assert set(bound.txs) == {'vae', 'critic'}
  acai = spec_of(make_config(method='acai', **{'loss.weights.adv': 0.2}))
  assert methods.bind([acai]).terms['adv'] is critics.acai_autoencoder_term
  assert acai.loss.weight('adv') == 0.2


def test_term_keys_depend_on_the_name_alone():
  key = jax.random.PRNGKey(3)
  assert (methods.term_key(key, 'atn') == jax.random.fold_in(key, 0)).all()
  assert (methods.term_key(key, 'triplet') == jax.random.fold_in(key, 2)).all()
  toy = methods.term_key(key, 'toy')
  assert (toy == jax.random.fold_in(key, zlib.crc32(b'toy') | (1 << 31))).all()
  assert not (toy == methods.term_key(key, 'toy2')).all()
  assert not (toy == methods.term_key(key, 'atn')).all()


def test_a_term_registered_after_the_config_is_built_trains_and_sweeps(make_config, tmp_path,
                                                                       monkeypatch):
  """A term registered from a script or notebook, after its config was built, joins
  atnl through its weight alone and sweeps like a built-in one, without editing any
  project file; it pulls every code towards the origin."""
  config = make_config(num_steps=4)
  sweep = make_config(num_steps=4, sweep='loss.weights.toy=0,100')
  monkeypatch.setitem(terms.TERMS, 'toy', None)
  methods.register_term('toy', lambda outputs, batch, key, spec, knobs: jnp.mean(
      jnp.square(outputs['mu'])))
  config.loss.weights.toy = 100.0
  assert set(methods.bind([spec_of(config)]).terms) == {'rec', 'kl', 'atn', 'toy'}
  train.train_and_evaluate(config, tmp_path / 'toy')
  records = [json.loads(line) for line in open(tmp_path / 'toy' / 'metrics.jsonl')]
  assert records[-1]['toy'] < records[0]['toy']
  assert 'toy' not in methods.bind([spec_of(make_config(num_steps=4))]).terms
  states = train.train_and_evaluate(sweep, tmp_path / 'sweep')
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(states[1].params),
               jax.device_get(train.train_and_evaluate(config, tmp_path / 'toy').params))
  with pytest.raises(ValueError, match="config loss.weights.nope=1.0 is not allowed: no loss "
                                       "term 'nope' is registered"):
    spec_of(make_config(**{'loss.weights.nope': 1.0}))


@pytest.mark.parametrize('critic', [critics.LATENT_GAN, critics.ACAI_LERP,
                                    critics.CLASS_ADVERSARY])
def test_a_critic_step_lowers_its_own_loss_on_a_fixed_batch(make_config, critic):
  spec = spec_of(make_config(**({'model.semantic_dims': 3} if critic.reads_c else {})))
  key = jax.random.PRNGKey(0)
  if critic.reads_c:     # c (latent_dim 8 - 3) with its class
    inputs = {'c': jax.random.normal(key, (16, 5)), 'label': jnp.arange(16) % 10}
    example = critic.example(spec)
  elif critic is critics.LATENT_GAN:
    inputs = {'real': jax.random.normal(key, (16, 8)), 'fake': 0.5 + jax.random.normal(key, (16, 8))}
    example = inputs['real']
  else:
    imgs = jax.random.uniform(key, (16, 32, 32, 1))
    inputs = {'mix': imgs, 'blend': imgs[::-1], 'alpha': jnp.linspace(0, 0.5, 16)}
    example = imgs
  net = critic.network(spec)
  params = net.init(key, example)['params']
  loss = lambda p: critic.loss(critic.apply(net, p, inputs), inputs)
  tx = optax.adam(1e-3)
  opt = tx.init(params)
  first = loss(params)
  for _ in range(3):
    updates, opt = tx.update(jax.grad(loss)(params), opt, params)
    params = optax.apply_updates(params, updates)
  assert loss(params) < first


def test_gan_terms_hand_computed():
  zero = jnp.zeros(4)
  assert losses.gan_discriminator(zero, zero) == pytest.approx(2 * np.log(2))
  assert losses.gan_generator(zero) == pytest.approx(np.log(2))
  # A confident discriminator: small loss for it, large for the generator.
  assert losses.gan_discriminator(10 + zero, -10 + zero) < 1e-3
  assert losses.gan_generator(-10 + zero) > 9
  assert losses.acai_critic(jnp.array([0.1, 0.3]), jnp.array([0.1, 0.5]),
                            jnp.array([0.0, 0.2])) == pytest.approx(0.02 + 0.02)
  assert losses.acai_autoencoder(jnp.array([0.2, 0.4])) == pytest.approx(0.1)


def test_semi_hard_mining_picks_the_expected_negative():
  # 1-D points on the unit circle in 2-D, so squared distances are known.
  angles = jnp.array([0.0, 0.3, 0.5, 0.9, 2.0])
  z = jnp.stack([jnp.cos(angles), jnp.sin(angles)], -1)
  labels = jnp.array([0, 0, 1, 1, 1])
  sq = jnp.sum(jnp.square(z[:, None] - z[None]), -1)
  scores = jnp.linspace(0.1, 0.5, 5)   # the positive drawn is the highest-scoring one
  # Anchor 0, positive 1 (d_ap = sq[0,1]); negatives 2, 3, 4: the nearest farther one is 2.
  _, valid, n = losses._semi_hard_triplet(sq, labels, 0, scores, 0.2)  # pylint: disable=protected-access
  assert bool(valid) and int(n) == 2
  # Anchor 1, positive 0 (angle 0.3): negative 2 at 0.2 is nearer, so 3 is the semi-hard one.
  _, valid, n = losses._semi_hard_triplet(sq, labels, 1, scores, 0.2)  # pylint: disable=protected-access
  assert bool(valid) and int(n) == 3
  # No negative is farther than the positive: fall back to the farthest negative.
  labels = jnp.array([0, 1, 1, 1, 0])
  _, valid, n = losses._semi_hard_triplet(sq, labels, 0, scores, 0.2)  # pylint: disable=protected-access
  assert bool(valid) and int(n) == 3


def test_facenet_triplet_hand_computed():
  z = jnp.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
  # Anchors 0 and 1: d_ap = 0, d_an = 2 -> hinge 0; anchor 2 has no positive.
  assert losses.facenet_triplet(z, jnp.array([0, 0, 1]), jax.random.PRNGKey(0), 0.2) == 0.0
  z = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
  # Anchors 0 and 1 of class 0: d_ap = 2, negative 2 at distance 0 or 2 -> hinges 2.2 and 0.2.
  value = losses.facenet_triplet(z, jnp.array([0, 0, 1]), jax.random.PRNGKey(0), 0.2)
  assert value == pytest.approx((2.2 + 0.2) / 2)


def test_the_class_confusion_term_is_the_kl_from_uniform_to_the_adversarys_reading():
  p = np.array([[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]])
  outputs = {'critic_out': {'logits': jnp.log(jnp.asarray(p)) + 7.0}}   # any shift alike
  # KL(u || p) = sum_k (1/3) log((1/3) / p_k): 0.0566 for the first row, 0 for uniform.
  expected = np.mean([np.sum(np.log((1 / 3) / row) / 3) for row in p])
  assert float(critics.class_confusion_term(outputs, None, None, None, None)) == pytest.approx(
      expected, rel=1e-5)
  assert expected == pytest.approx(0.0566 / 2, abs=1e-4)      # the batch mean


def test_a_method_with_a_class_adversary_needs_a_split_latent(make_config):
  with pytest.raises(ValueError, match='method atnl_split_adv splits the latent'):
    spec_of(make_config(method='atnl_split_adv'))
