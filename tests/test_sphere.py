import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import sphere


def unit_pair(seed, d=16):
  a, b = jax.random.normal(jax.random.PRNGKey(seed), (2, d))
  return sphere.normalize(a), sphere.normalize(b)


def test_angle_matches_arccos_away_from_the_poles():
  a, b = unit_pair(0)
  np.testing.assert_allclose(sphere.angle(a, b), jnp.arccos(jnp.dot(a, b)), rtol=1e-5)
  np.testing.assert_allclose(sphere.angle(3 * a, 0.5 * b), jnp.arccos(jnp.dot(a, b)), rtol=1e-5)


def test_angle_is_accurate_for_tiny_angles():
  a = jnp.array([1.0, 0.0])
  b = jnp.array([jnp.cos(1e-4), jnp.sin(1e-4)])
  np.testing.assert_allclose(sphere.angle(a, b), 1e-4, rtol=1e-3)


@pytest.mark.parametrize('interp', ['lerp', 'slerp'])
def test_path_endpoints(interp):
  a, b = unit_pair(1)
  np.testing.assert_allclose(sphere.direct_path(a, b, 0.0, interp), a, atol=1e-6)
  np.testing.assert_allclose(sphere.direct_path(a, b, 1.0, interp), b, atol=1e-6)


def test_slerp_stays_on_the_sphere_at_constant_angular_speed():
  a, b = unit_pair(2)
  path = jax.vmap(lambda t: sphere.slerp(a, b, t))(jnp.linspace(0, 1, 9))
  np.testing.assert_allclose(jnp.linalg.norm(path, axis=-1), 1.0, atol=1e-6)
  steps = jax.vmap(sphere.angle)(path[:-1], path[1:])
  np.testing.assert_allclose(steps, sphere.angle(a, b) / 8, rtol=1e-4)


def test_slerp_equals_shoemake_formula():
  a, b = unit_pair(3)
  w = jnp.arccos(jnp.dot(a, b))
  t = 0.3
  expected = jnp.sin((1 - t) * w) / jnp.sin(w) * a + jnp.sin(t * w) / jnp.sin(w) * b
  np.testing.assert_allclose(sphere.slerp(a, b, t), expected, atol=1e-6)


def test_slerp_lerps_the_norm_of_non_unit_codes():
  a, b = unit_pair(4)
  z = sphere.slerp(2 * a, 4 * b, 0.25)
  np.testing.assert_allclose(jnp.linalg.norm(z), 2.5, rtol=1e-6)


@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_finite_values_and_gradients_for_identical_and_antipodal_inputs(sign):
  a, _ = unit_pair(5)
  b = sign * a
  assert np.isfinite(sphere.angle(a, b))
  np.testing.assert_allclose(sphere.angle(a, b), 0.0 if sign > 0 else np.pi, atol=1e-6)
  for t in (0.0, 0.3, 1.0):
    z = sphere.slerp(a, b, t)
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(jnp.linalg.norm(z), 1.0, atol=1e-5)
  grads = [jax.grad(lambda u: sphere.angle(u, sign * u))(a),
           jax.grad(lambda u: sphere.angle(u, b))(a),
           jax.grad(lambda u: jnp.sum(sphere.slerp(u, sign * u, 0.3)))(a),
           jax.grad(lambda u: jnp.sum(sphere.slerp(u, b, 0.7)))(a)]
  for g in grads:
    assert np.all(np.isfinite(g))


def test_antipodal_slerp_passes_halfway_through_an_orthogonal_point():
  a, _ = unit_pair(6)
  mid = sphere.slerp(a, -a, 0.5)
  np.testing.assert_allclose(jnp.dot(mid, a), 0.0, atol=1e-5)


def test_vmapped_paths_equal_per_pair_paths():
  z1 = jax.random.normal(jax.random.PRNGKey(7), (5, 8))
  z2 = jax.random.normal(jax.random.PRNGKey(8), (5, 8))
  ts = jnp.linspace(0, 1, 6)
  batch = sphere.direct_paths_batch(z1, z2, ts, 'slerp')
  assert batch.shape == (5, 6, 8)
  for p in range(5):
    for s, t in enumerate(ts):
      np.testing.assert_allclose(batch[p, s], sphere.slerp(z1[p], z2[p], t), atol=1e-6)


def test_semantic_path_visits_the_prototypes_in_order():
  prototypes = sphere.normalize(jax.random.normal(jax.random.PRNGKey(9), (10, 8)))
  z1, z2 = unit_pair(10, 8)
  y1, y2 = jnp.array([2, 7, 4]), jnp.array([5, 4, 4])
  ts = jnp.linspace(0, 1, 7)
  paths = sphere.semantic_paths_batch(jnp.stack([z1] * 3), jnp.stack([z2] * 3), y1, y2,
                                      prototypes, ts)
  # 2 -> 5 over 3 class steps: t = 2/6 and 4/6 are the prototypes of 3 and 4.
  np.testing.assert_allclose(paths[0, 0], z1, atol=1e-6)
  np.testing.assert_allclose(paths[0, 2], prototypes[3], atol=1e-5)
  np.testing.assert_allclose(paths[0, 4], prototypes[4], atol=1e-5)
  np.testing.assert_allclose(paths[0, 6], z2, atol=1e-6)
  # 7 -> 4 goes down through 6 and 5.
  np.testing.assert_allclose(paths[1, 2], prototypes[6], atol=1e-5)
  np.testing.assert_allclose(paths[1, 4], prototypes[5], atol=1e-5)
  # Same class: the semantic path is the direct one.
  np.testing.assert_allclose(paths[2], sphere.direct_paths_batch(z1[None], z2[None], ts)[0],
                             atol=1e-6)


def test_class_prototypes_are_unit_class_mean_directions():
  z = jnp.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0], [0.0, -5.0]])
  protos = sphere.class_prototypes(z, jnp.array([0, 0, 1, 1]), 2)
  np.testing.assert_allclose(protos[0], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)
  np.testing.assert_allclose(protos[1], [-np.sqrt(0.5), -np.sqrt(0.5)], atol=1e-6)
  np.testing.assert_allclose(sphere.spherical_mean(z[:2]), protos[0], atol=1e-6)


def test_circular_semantic_path_goes_through_the_prototypes_the_short_way():
  k = 10
  prototypes = jnp.stack([jnp.cos(jnp.arange(k) * 0.3), jnp.sin(jnp.arange(k) * 0.3)], -1)
  z1, z2 = prototypes[8] * 2.0, prototypes[1] * 2.0
  ts = jnp.linspace(0, 1, 4)   # waypoints 8, 9, 0, 1
  path = sphere.semantic_paths_batch(z1[None], z2[None], jnp.array([8]), jnp.array([1]),
                                     prototypes, ts, circular=True)[0]
  np.testing.assert_allclose(path, 2.0 * prototypes[jnp.array([8, 9, 0, 1])], atol=1e-5)
  assert int(sphere.class_step(8, 1, True, k)) == 3 and int(sphere.class_step(1, 8, True, k)) == -3
