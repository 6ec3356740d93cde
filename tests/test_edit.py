"""Editing operators on the sphere: targets hit, norms kept, t = 0 is the identity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import edit
from jsemrep import sphere


def prototypes_on_a_great_circle(k=5, d=6, step=0.4):
  """Unit prototypes p_c at angle c * step in the plane of e0, e1."""
  angles = jnp.arange(k) * step
  p = jnp.zeros((k, d))
  return p.at[:, 0].set(jnp.cos(angles)).at[:, 1].set(jnp.sin(angles))


def test_transport_maps_prototype_c_to_prototype_c_prime_exactly():
  p = prototypes_on_a_great_circle()
  for i, j in ((0, 4), (3, 1), (2, 2)):
    out = edit.transport(3.0 * p[i], jnp.array(i), jnp.array(j), p, jnp.array(1.0))
    np.testing.assert_allclose(out, 3.0 * p[j], atol=1e-5)


def test_transport_keeps_what_is_orthogonal_to_the_class_plane():
  p = prototypes_on_a_great_circle()
  z = p[1] + 0.5 * jnp.eye(6)[4]     # class direction plus an "identity" component
  out = edit.transport(z, jnp.array(1), jnp.array(3), p, jnp.array(1.0))
  np.testing.assert_allclose(np.linalg.norm(out), np.linalg.norm(z), rtol=1e-5)
  u = out / np.linalg.norm(out)
  np.testing.assert_allclose(u[4], (z / np.linalg.norm(z))[4], atol=1e-5)   # kept
  np.testing.assert_allclose(u[:2] / np.linalg.norm(u[:2]), p[3, :2], atol=1e-5)


@pytest.mark.parametrize('name', sorted(edit.OPERATORS))
def test_operators_keep_the_radius_and_t0_is_the_identity(name):
  op = edit.OPERATORS[name]
  p = prototypes_on_a_great_circle()
  z = jax.random.normal(jax.random.PRNGKey(0), (6,)) * 2.0
  np.testing.assert_allclose(op(z, jnp.array(1), jnp.array(4), p, jnp.array(0.0)), z,
                             atol=1e-5)
  for t in (0.3, 0.5, 1.0):
    out = op(z, jnp.array(1), jnp.array(4), p, jnp.array(t))
    np.testing.assert_allclose(np.linalg.norm(out), np.linalg.norm(z), rtol=1e-5)


@pytest.mark.parametrize('name', sorted(edit.OPERATORS))
def test_vmapped_equals_per_code_and_gradients_are_finite(name):
  op = edit.OPERATORS[name]
  p = prototypes_on_a_great_circle()
  zs = jax.random.normal(jax.random.PRNGKey(1), (4, 6))
  src, dst, ts = jnp.array([0, 1, 4, 2]), jnp.array([3, 0, 1, 2]), jnp.linspace(0, 1, 4)
  batched = jax.vmap(op, in_axes=(0, 0, 0, None, 0))(zs, src, dst, p, ts)
  for i in range(4):
    np.testing.assert_allclose(batched[i], op(zs[i], src[i], dst[i], p, ts[i]), atol=1e-6)
  grad = jax.grad(lambda z: jnp.sum(op(z, jnp.array(0), jnp.array(4), p, jnp.array(0.7))))(
      p[0])   # a code exactly on a prototype
  assert np.all(np.isfinite(grad))


def test_prototype_path_and_arithmetic_reach_the_target_prototype_from_the_source():
  p = prototypes_on_a_great_circle()
  for op in (edit.prototype_path, edit.arithmetic):
    out = op(2.0 * p[0], jnp.array(0), jnp.array(3), p, jnp.array(1.0))
    np.testing.assert_allclose(out, 2.0 * p[3], atol=1e-5)


def test_guided_steps_reach_the_target_class_and_stop():
  weights = jnp.eye(3, 4)        # class c where coordinate c is largest
  z = jnp.array([2.0, 0.5, 0.1, 0.3])
  out = edit.guided(z, jnp.array(2), weights, jnp.zeros(3), steps=200, step_size=0.1)
  assert int(jnp.argmax(weights @ out)) == 2
  np.testing.assert_allclose(np.linalg.norm(out), np.linalg.norm(z), rtol=1e-5)
  already = edit.guided(z, jnp.array(0), weights, jnp.zeros(3))
  np.testing.assert_allclose(already, z, atol=1e-6)


def test_spherical_mean_of_symmetric_points_is_their_axis():
  axis = jnp.array([0.0, 0.0, 1.0])
  ring = jnp.stack([jnp.array([jnp.cos(a), jnp.sin(a), 1.0]) for a in jnp.linspace(0, 2 * jnp.pi, 6,
                                                                                    endpoint=False)])
  np.testing.assert_allclose(sphere.spherical_mean(3.0 * ring), axis, atol=1e-6)


def test_guided_path_starts_in_place_and_ends_in_the_target_class():
  p = prototypes_on_a_great_circle(k=3, d=4)
  weights, bias = jnp.eye(3, 4), jnp.zeros(3)
  op = edit.operators(weights, bias, steps=200, step_size=0.1)['guided']
  z = jnp.array([2.0, 0.5, 0.1, 0.3])
  np.testing.assert_allclose(op(z, jnp.array(0), jnp.array(2), p, jnp.array(0.0)), z, atol=1e-6)
  middle = op(z, jnp.array(0), jnp.array(2), p, jnp.array(0.5))
  end = op(z, jnp.array(0), jnp.array(2), p, jnp.array(1.0))
  assert int(jnp.argmax(weights @ middle)) == 1 and int(jnp.argmax(weights @ end)) == 2


def test_edit_paths_equal_the_operator_at_each_code_and_position():
  p = prototypes_on_a_great_circle()
  zs = jax.random.normal(jax.random.PRNGKey(2), (3, 6))
  src, dst, ts = jnp.array([0, 4, 2]), jnp.array([3, 1, 2]), jnp.linspace(0, 1, 5)
  paths = edit.edit_paths(edit.transport, zs, src, dst, p, ts)
  assert paths.shape == (3, 5, 6)
  for i in range(3):
    for s in range(5):
      np.testing.assert_allclose(paths[i, s], edit.transport(zs[i], src[i], dst[i], p, ts[s]),
                                 atol=1e-6)


def test_a_guided_step_turns_the_direction_by_the_step_angle():
  weights = jnp.eye(3, 4)
  z = jnp.array([2.0, 0.5, 0.1, 0.3])
  one = edit.guided(z, jnp.array(2), weights, jnp.zeros(3), steps=1, step_size=0.1)
  np.testing.assert_allclose(sphere.angle(z, one), 0.1, rtol=1e-4)
  np.testing.assert_allclose(np.linalg.norm(one), np.linalg.norm(z), rtol=1e-5)


@pytest.mark.parametrize('name', ['transport', 'prototype_path'])
def test_circular_classes_are_edited_the_short_way_round(name):
  """Eight classes around the whole circle (45 degrees apart): from class 0 to class 7
  is one step back, not seven forward."""
  k = 8
  p = prototypes_on_a_great_circle(k=k, d=4, step=2 * np.pi / k)
  z = 2.0 * p[0]
  op = edit.OPERATORS[name]
  zero, seven = jnp.array(0), jnp.array(7)
  direction = lambda u: float(np.degrees(np.arctan2(u[1], u[0])))
  np.testing.assert_allclose(op(z, zero, seven, p, 1.0, circular=True), 2.0 * p[7], atol=1e-5)
  assert direction(op(z, zero, seven, p, 0.5, circular=True)) == pytest.approx(-22.5, abs=1e-3)
  assert direction(op(z, zero, seven, p, 0.5)) == pytest.approx(157.5, abs=1e-3)   # a line: 7 forward
  paths = edit.edit_paths(op, jnp.stack([z, z]), jnp.array([0, 0]), jnp.array([7, 2]), p,
                          jnp.linspace(0, 1, 3), circular=True)
  np.testing.assert_allclose(paths[1, 1], 2.0 * p[1], atol=1e-5)   # 0 -> 2 forward, via 1
  assert direction(paths[0, 1]) == pytest.approx(-22.5, abs=1e-3)
