"""The split latent (jsemrep.split), its paired batches (jsemrep.pairing) and the
cross-reconstruction terms. semantic_dims = 0 training the parameters it trained before
is test_train.py's fingerprint test (the default config has semantic_dims = 0)."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import edit
from jsemrep import pairing
from jsemrep import parallel
from jsemrep import split
from jsemrep import sphere
from jsemrep.errors import ConfigError
from jsemrep.evaluators import leak
from jsemrep.methods import terms
from tests.conftest import spec_of, stepper
from train import feed as feed_lib
from train import resolve
from train import step as step_lib
from train import train

# 4 identities x 3 classes; identity 2 lacks class 1, identity 3 has class 0 only.
IDENTITY = np.array([10, 10, 10, 11, 11, 11, 12, 12, 13, -1])
LABEL = np.array([0, 1, 2, 0, 1, 2, 0, 2, 0, 1])


def test_index_table_by_hand():
  rows, table = pairing.index_table(IDENTITY, LABEL, 3)
  np.testing.assert_array_equal(rows, [0, 0, 0, 1, 1, 1, 2, 2, 3, -1])
  np.testing.assert_array_equal(table, [[0, 1, 2], [3, 4, 5], [6, -1, 7], [8, -1, -1]])


def test_partners_are_the_same_identity_elsewhere_and_another_identity_there():
  rows, table = pairing.index_table(IDENTITY, LABEL, 3)
  anchors = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8] * 20)
  same, donor = pairing.partners(jnp.asarray(table), jnp.asarray(rows[anchors]),
                                 jnp.asarray(LABEL[anchors]), seed=1, step=5)
  same, donor = np.asarray(same), np.asarray(donor)
  for a, s, d in zip(anchors, same, donor):
    if a == 8:    # identity 13 has no other class: its own image, and a donor at class 0
      assert s == 8 and LABEL[d] == 0 and IDENTITY[d] != 13
      continue
    assert IDENTITY[s] == IDENTITY[a] and LABEL[s] != LABEL[a]
    assert LABEL[d] == LABEL[s] and IDENTITY[d] != IDENTITY[a] and IDENTITY[d] >= 0
  assert not np.any(LABEL[same[anchors == 6]] == 1)    # identity 12 is never asked for class 1
  assert len(set(LABEL[same[anchors == 0]])) == 2      # both other classes get drawn
  other = pairing.partners(jnp.asarray(table), jnp.asarray(rows[anchors]),
                           jnp.asarray(LABEL[anchors]), seed=1, step=6)
  assert not np.array_equal(np.asarray(other[1]), donor)


@pytest.mark.parametrize('op', sorted(edit.OPERATORS))
def test_split_edit_moves_s_only_and_keeps_its_radius(op):
  prototypes = sphere.normalize(jax.random.normal(jax.random.PRNGKey(0), (5, 4)))
  z = jax.random.normal(jax.random.PRNGKey(1), (10,))
  edited = split.on_semantic(edit.OPERATORS[op], 4)(z, jnp.array(0), jnp.array(3), prototypes, 1.0)
  np.testing.assert_array_equal(edited[4:], z[4:])
  np.testing.assert_allclose(jnp.linalg.norm(edited[:4]), jnp.linalg.norm(z[:4]), rtol=1e-5)
  assert not np.allclose(edited[:4], z[:4])
  assert split.on_semantic(edit.OPERATORS[op], 0) is edit.OPERATORS[op]


def test_split_paths_walk_s_and_move_c_linearly():
  z1, z2 = jnp.array([[1.0, 0.0, 2.0, 0.0]]), jnp.array([[0.0, 1.0, 0.0, 4.0]])
  ts = jnp.array([0.0, 0.5, 1.0])
  paths = split.direct_paths(z1, z2, ts, 'slerp', 2)
  np.testing.assert_allclose(paths[0, :, 2:], [[2, 0], [1, 2], [0, 4]], atol=1e-6)
  np.testing.assert_allclose(paths[0, 1, :2], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
  np.testing.assert_allclose(split.direct_paths(z1, z2, ts, 'slerp', 0),
                             sphere.direct_paths_batch(z1, z2, ts, 'slerp'))


class Pixels(nn.Module):
  """A hand-built autoencoder: the code of a 2x2 image is its 4 pixels, and back."""

  def encode(self, x):
    return x.reshape(x.shape[0], -1), jnp.zeros((x.shape[0], 4))

  def decode(self, z):
    return z.reshape(z.shape[0], 2, 2, 1)


def test_cross_on_a_hand_built_decoder():
  image = lambda *v: jnp.array(v, jnp.float32).reshape(1, 2, 2, 1)
  batch = {'image': image(1, 2, 3, 4), 'same_image': image(0, 0, 3, 3),
           'donor_image': image(5, 6, 7, 8)}
  outputs = {'z': batch['image'].reshape(1, 4), 'mu': batch['image'].reshape(1, 4)}
  outputs.update(step_lib.paired_outputs(Pixels(), {}, outputs, batch, 2))
  # decoded [s of the donor, c of the anchor] = (5, 6, 3, 4) against (0, 0, 3, 3)
  np.testing.assert_allclose(outputs['cross_decoded'].ravel(), [5, 6, 3, 4])
  spec = spec_of(checks_config(semantic_dims=2)).static()
  assert terms.cross_term(outputs, batch, None, spec, None) == pytest.approx((5 + 6 + 0 + 1) / 4)
  # c(u, i) = (3, 4), c(u, j) = (3, 3): a gap of 1, against twice the spread of the global
  # batch's c, (3, 4) and (3, 3) about (3, 3.5): 2 x 0.25.
  outputs['z_all'] = jnp.concatenate([outputs['z'], outputs['same_mu']])
  assert terms.c_invariance_term(outputs, batch, None, spec, None) == pytest.approx(2.0)
  # s: the donor's (5, 6) and the anchor's (0, 0) at its class: unit and zero directions
  # (a gap of 1) against the batch's directions (1, 2)/sqrt(5) and 0 (spread 0.25).
  assert terms.s_invariance_term(outputs, batch, None, spec, None) == pytest.approx(2.0)
  scaled = {k: 3.0 * v for k, v in outputs.items()}     # scale-free: shrinking c cannot help
  for term in (terms.c_invariance_term, terms.s_invariance_term):
    assert term(scaled, batch, None, spec, None) == pytest.approx(2.0)


def checks_config(method='atnl_split', **model):
  from train.configs import rotated_split  # pylint: disable=import-outside-toplevel
  config = rotated_split.get_config()
  config.method = method
  for key, value in model.items():
    config.model[key] = value
  return config


@pytest.mark.parametrize('method, semantic_dims, message', [
    ('atnl_split', 0, 'method atnl_split splits the latent into a semantic part and the rest: set '
                      '--config.model.semantic_dims (e.g. 16 of latent_dim 64)'),
    ('split', 64, 'config model.semantic_dims=64 is not allowed: 0 (a single latent) or an integer '
                  'below model.latent_dim=64 (the semantic part s; the rest c must not be empty)'),
])
def test_bad_split_configs_are_refused(method, semantic_dims, message):
  with pytest.raises(ConfigError) as e:
    resolve.validate(checks_config(method, semantic_dims=semantic_dims))
  assert str(e.value) == message


def test_cross_weight_on_a_method_without_pairs_is_refused():
  config = checks_config('atnl')
  config.loss.weights.cross = 1.0
  with pytest.raises(ConfigError, match='loss.weights.cross is not allowed for method atnl'):
    resolve.validate(config)


def test_a_split_method_on_data_without_identities_is_refused():
  config = checks_config()
  config.data.name = 'mnist5k'
  config.batch_size = 4
  facts = resolve.data_facts(config.data, {'image': np.zeros((4, 32, 32, 1), np.uint8),
                                         'label': np.arange(4)})
  with pytest.raises(ConfigError) as e:
    resolve.check_group([resolve.complete(config, facts)], facts, stacked=False)
  assert str(e.value) == ('method atnl_split cross-reconstructs pairs of one identity at two '
                          'classes, and mnist5k records no identity per example (datasets that '
                          'do: rotated_mnist5k, synthetic_heads, multi_pie with Multi-PIE file '
                          'names)')


def _paired_dataset(num_identities=16, classes=4):
  rng = np.random.default_rng(0)
  n = num_identities * classes
  identity = np.repeat(np.arange(num_identities), classes)
  label = np.tile(np.arange(classes), num_identities).astype(np.int32)
  rows, table = pairing.index_table(identity, label, classes)
  return {'image': rng.integers(0, 256, (n, 32, 32, 1), dtype=np.uint8), 'label': label,
          'identity_row': rows}, table


def test_split_training_on_4_devices_and_sharded_equals_1_device(make_config):
  assert jax.device_count() >= 4
  config = make_config(method='atnl_split', **{'model.semantic_dims': 3})
  arrays, table = _paired_dataset()
  finals = {}
  for devices, placement in ((1, 'device'), (4, 'device'), (4, 'sharded')):
    config.data.placement = placement
    mesh = parallel.make_mesh(devices)
    state, step, knobs = stepper(spec_of(config, num_classes=4), mesh,
                                 num_examples=len(arrays['label']), pairs=table)
    feed = feed_lib.Feed(arrays, placement, mesh)
    for i in range(3):
      state, metrics = step(state, feed(i), knobs)
    finals[devices, placement] = jax.device_get((state.params, metrics))
  assert finals[1, 'device'][1]['cross'] > 0 and finals[1, 'device'][1]['atn'] > 0
  for other in ((4, 'device'), (4, 'sharded')):
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
                 finals[1, 'device'], finals[other])


@pytest.mark.parametrize('method', ['atnl_split', 'cvae'])
def test_evaluators_edit_and_interpolate_on_s_of_a_split_run(make_config, rotated_classifiers,
                                                              tmp_path, method):
  from eval import common  # pylint: disable=import-outside-toplevel
  from jsemrep import runs  # pylint: disable=import-outside-toplevel
  config = make_config(method=method, **{'data.name': 'rotated_mnist5k',
                                         'model.semantic_dims': 3})
  train.train_and_evaluate(config, tmp_path)
  run = runs.load_run(tmp_path)
  assert run.semantic_dims == 3 and run.prototypes().shape == (7, 3)
  if method == 'cvae':   # s is the class embedding: each class's codes share it exactly
    s, labels = run.codes('validation')[:, :3], run.split('validation')['label']
    embedding = run.params['class_embedding']['embedding']
    np.testing.assert_allclose(s, embedding[labels], rtol=1e-6)
    with pytest.raises(TypeError, match='encodes images with their classes'):
      run.encode(run.split('validation')['image'][:2])
  # The editors act on s through split.on_semantic (tested above); viewpoint's end to end
  # run is test_evaluators' (the slowest evaluator to compile runs once in the suite).
  names = ['interpolate_small', 'leak']
  common.evaluate(tmp_path, names, split='validation',
                  flag_values={'figure_images': 1, 'images_per_class_step': 1})
  for name in names:
    assert (tmp_path / 'eval' / f'{name}_validation.json').exists()


def test_the_mlp_probe_reads_a_class_that_a_linear_probe_cannot():
  """Class 0 on a ring of radius 1, class 1 on radius 3, at random angles: no line
  separates them, a hidden layer does."""
  rng = np.random.default_rng(0)
  labels = rng.integers(0, 2, 1200)
  angle = rng.uniform(0, 2 * np.pi, 1200)
  codes = (1 + 2 * labels)[:, None] * np.stack([np.cos(angle), np.sin(angle)], -1)
  read = {probe: leak.probe_accuracy(codes[:1000], labels[:1000], codes[1000:], labels[1000:],
                                     probe) for probe in leak.PROBES}
  assert read['linear'] < 0.7 and read['mlp'] > 0.95, read
