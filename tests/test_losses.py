import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import losses

KEY = jax.random.PRNGKey(0)


def on_circle(*angles):
  """2-D unit vectors at the given angles (radians): pairwise angles are known."""
  a = jnp.array(angles)
  return jnp.stack([jnp.cos(a), jnp.sin(a)], axis=-1)


def test_reconstruction_kinds_hand_computed():
  x = jnp.array([0.0, 1.0, 0.5, 0.5])
  d = jnp.array([0.5, 1.0, 0.0, 1.5])
  assert losses.reconstruction(d, x, 'l1') == pytest.approx((0.5 + 0 + 0.5 + 1.0) / 4)
  assert losses.reconstruction(d, x, 'l2') == pytest.approx((0.25 + 0 + 0.25 + 1.0) / 4)
  logits = jnp.array([0.0, 0.0])
  assert losses.reconstruction(logits, jnp.array([1.0, 0.0]), 'bce') == pytest.approx(np.log(2))
  with pytest.raises(ValueError, match="reconstruction kind must be one of .* got 'l3'"):
    losses.reconstruction(d, x, 'l3')


def test_kl_hand_computed():
  mu = jnp.array([[0.0, 0.0], [1.0, 2.0]])
  logvar = jnp.zeros((2, 2))
  # KL = 0 for the prior; 0.5 * (1 + 4) for the second example; mean over examples.
  assert losses.kl_divergence(mu, logvar) == pytest.approx(1.25)
  assert losses.kl_divergence(jnp.zeros((1, 1)), jnp.log(jnp.full((1, 1), 2.0))) == pytest.approx(
      0.5 * (2 - 1 - np.log(2)))


# z0, z1, z2 at 0, 0.5 and 1.0 rad: angle(0,1) = 0.5, angle(0,2) = 1.0, angle(1,2) = 0.5.
Z = on_circle(0.0, 0.5, 1.0)
M = 1.2


@pytest.mark.parametrize('neighbor,labels,expected', [
    # anchors 0 and 1 (class 0) have p = the other, n = 2 (class 1, adjacent):
    # (0,1,2): 0.5 - 1.0 + m; (1,0,2): 0.5 - 0.5 + m; anchor 2 has no positive.
    ('adjacent', [0, 0, 1], ((0.5 - 1.0 + M) + M) / 2),
    # class 2 is not adjacent to class 0: no triplet at all.
    ('adjacent', [0, 0, 2], 0.0),
    ('all', [0, 0, 2], ((0.5 - 1.0 + M) + M) / 2),
    # ordinal on classes 0, 1, 2: anchor 0 -> (p=1, n=2), anchor 2 -> (p=1, n=0);
    # anchor 1 has nothing strictly farther than its nearest other example.
    ('ordinal', [0, 1, 2], ((0.5 - 1.0 + M) + (0.5 - 1.0 + M)) / 2),
])
def test_atnl_hand_computed(neighbor, labels, expected):
  value = losses.angular_triplet_neighbor(Z, jnp.array(labels), KEY, M, neighbor, per_anchor=5)
  assert value == pytest.approx(expected, abs=1e-5)


def test_atnl_is_zero_beyond_the_margin():
  z = on_circle(0.0, 0.0, np.pi)
  assert losses.angular_triplet_neighbor(z, jnp.array([0, 0, 1]), KEY, 1.2, 'all') == 0.0


@pytest.mark.parametrize('neighbor', losses.NEIGHBORS)
def test_no_valid_triplet_gives_zero_and_finite_gradients(neighbor):
  z = jax.random.normal(KEY, (4, 3))
  labels = jnp.zeros(4, jnp.int32)
  fn = lambda z: losses.angular_triplet_neighbor(z, labels, KEY, 1.2, neighbor)
  assert fn(z) == 0.0
  assert np.all(np.isfinite(jax.grad(fn)(z)))


@pytest.mark.parametrize('neighbor', losses.NEIGHBORS)
def test_finite_gradients_when_cosines_are_plus_and_minus_one(neighbor):
  v = jnp.array([0.6, 0.8, 0.0])
  z = jnp.stack([v, v, -v, v])   # identical and antipodal pairs
  labels = jnp.array([0, 0, 1, 2])
  grad = jax.grad(lambda z: losses.angular_triplet_neighbor(z, labels, KEY, 1.2, neighbor, 4))(z)
  assert np.all(np.isfinite(grad))


@pytest.mark.parametrize('neighbor', losses.NEIGHBORS)
def test_sampled_triplets_obey_the_neighbor_rule(neighbor):
  labels = jax.random.randint(jax.random.PRNGKey(1), (64,), 0, 10)
  a, p, n, valid = losses.triplet_indices(labels, KEY, neighbor, per_anchor=8)
  a, p, n, valid, y = map(np.asarray, (a, p, n, valid, labels))
  assert valid.any()
  dp, dn = np.abs(y[p] - y[a])[valid], np.abs(y[n] - y[a])[valid]
  assert np.all(p[valid] != a[valid])
  if neighbor == 'ordinal':
    assert np.all(dp < dn)
  elif neighbor == 'adjacent':
    assert np.all(dp == 0) and np.all(dn == 1)
  else:
    assert np.all(dp == 0) and np.all(dn > 0)


def test_unknown_neighbor_is_rejected():
  with pytest.raises(ValueError, match="atn.neighbor must be one of .* got 'nearest'"):
    losses.triplet_indices(jnp.array([0, 1]), KEY, 'nearest')


def test_circular_label_distance_goes_the_short_way_round():
  a, b = jnp.array([0, 9, 2, 7]), jnp.array([9, 0, 7, 2])
  np.testing.assert_array_equal(losses.label_distance(a, b), [9, 9, 5, 5])
  np.testing.assert_array_equal(losses.label_distance(a, b, period=10), [1, 1, 5, 5])


def test_adjacent_rule_on_circular_labels_takes_9_as_a_neighbour_of_0():
  labels = jnp.array([0, 0, 9, 5, 5])
  a, p, n, valid = losses.triplet_indices(labels, KEY, 'adjacent', per_anchor=8, period=10)
  a, n, valid = np.asarray(a), np.asarray(n), np.asarray(valid)
  anchors_of_0 = valid & (np.asarray(labels)[a] == 0)
  assert anchors_of_0.any() and set(np.asarray(labels)[n[anchors_of_0]].tolist()) == {9}
  _, _, _, linear_valid = losses.triplet_indices(labels, KEY, 'adjacent', per_anchor=8)
  assert not np.asarray(linear_valid).any()   # on a line, 0 and 9 are not neighbours


def test_graded_margin_is_met_exactly_by_an_evenly_spaced_great_circle_order():
  """Classes 0..4 at angles 0.5 c on a circle: every ordinal triplet has the angle gap
  0.5 (d_n - d_p), so the graded margin 0.5 (d_n - d_p) is met with equality (loss 0),
  and neither a constant nor a graded margin of 0.6 is."""
  labels = jnp.arange(5)
  z = jnp.stack([jnp.cos(0.5 * labels), jnp.sin(0.5 * labels)], -1)
  key = jax.random.PRNGKey(0)
  graded = losses.angular_triplet_neighbor(z, labels, key, 0.5, 'ordinal', 8,
                                           margin_mode='graded')
  assert float(graded) == pytest.approx(0.0, abs=1e-5)
  assert float(losses.angular_triplet_neighbor(z, labels, key, 0.6, 'ordinal', 8)) > 0
  # A graded margin above the spacing is not met: the hinge is m (d_n - d_p) - gap.
  assert float(losses.angular_triplet_neighbor(z, labels, key, 0.6, 'ordinal', 8,
                                               margin_mode='graded')) > 0
  with pytest.raises(ValueError, match="margin_mode must be one of"):
    losses.angular_triplet_neighbor(z, labels, key, 0.5, margin_mode='bogus')


def test_a_constant_ordinal_margin_beyond_pi_over_the_classes_is_flagged():
  assert losses.constant_margin_unmet(1.2, 10, 'ordinal')       # 9 x 1.2 > pi
  assert not losses.constant_margin_unmet(0.3, 10, 'ordinal')   # 2.7 <= pi
  assert not losses.constant_margin_unmet(1.2, 10, 'adjacent')


def test_euclidean_ordinal_triplet_is_zero_on_an_ordered_line_and_not_on_a_shuffled_one():
  labels = jnp.arange(5)
  key = jax.random.PRNGKey(0)
  line = jnp.stack([2.0 * labels, jnp.zeros(5)], -1)     # 2 apart: gaps of 2 (d_n - d_p)
  assert float(losses.euclidean_ordinal_triplet(line, labels, key, 0.2, 8)) == 0.0
  shuffled = line[jnp.array([0, 3, 1, 4, 2])]
  assert float(losses.euclidean_ordinal_triplet(shuffled, labels, key, 0.2, 8)) > 0.5
  # Only distances count: scaling the sphere away changes nothing on the ordered line.
  assert float(losses.euclidean_ordinal_triplet(10 * line, labels, key, 0.2, 8)) == 0.0
