"""Geometry of the unit sphere: angles, lerp, slerp and semantic paths.

Every function is written for one vector pair and one interpolation step; the
`*_batch` forms vmap them over pairs x steps. Angles use the half-chord formula
2*atan2(|u - v|, |u + v|) with a safe norm, so values and gradients stay finite
(and accurate) for identical and antipodal vectors, where arccos(u.v) has an
infinite derivative.
"""

import functools

import jax
import jax.numpy as jnp

Array = jax.Array

EPS = 1e-12


def safe_norm(v, axis=-1, keepdims=False):
  """Euclidean norm whose gradient is 0 (not NaN) at the zero vector."""
  sq = jnp.sum(v * v, axis=axis, keepdims=keepdims)
  nonzero = sq > EPS
  return jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, sq, 1.0)), 0.0)


def normalize(v: Array, axis: int = -1) -> Array:
  """v / |v| along `axis`; the zero vector stays zero.

  Args:
    v: vectors, any shape.
    axis: the vector axis.
  Returns:
    Unit vectors of v's shape.
  """
  return v / jnp.maximum(safe_norm(v, axis=axis, keepdims=True), EPS)


def angle(u: Array, v: Array) -> Array:
  """Angle between the directions of u and v, finite in value and gradient everywhere.

  Args:
    u, v: (d,) vectors (any norm).
  Returns:
    The angle in [0, pi], a scalar.
  """
  u, v = normalize(u), normalize(v)
  return 2.0 * jnp.arctan2(safe_norm(u - v), safe_norm(u + v))


def lerp(z1: Array, z2: Array, t: Array) -> Array:
  """(1 - t) z1 + t z2."""
  return (1.0 - t) * z1 + t * z2


def _orthogonal_unit(u):
  """A unit vector orthogonal to unit u (a tangent for antipodal pairs)."""
  e = jax.nn.one_hot(jnp.argmin(jnp.abs(u)), u.shape[-1], dtype=u.dtype)
  return normalize(e - jnp.dot(e, u) * u)


def _slerp_frame(z1, z2):
  """Per-pair quantities of slerp: radii, start direction, unit tangent, angle."""
  r1, r2 = safe_norm(z1), safe_norm(z2)
  u1, u2 = normalize(z1), normalize(z2)
  w = angle(u1, u2)
  tangent = u2 - jnp.dot(u1, u2) * u1
  has_tangent = safe_norm(tangent) > 1e-6
  tangent = jnp.where(has_tangent, normalize(tangent),
                      jnp.where(w > 1.0, _orthogonal_unit(u1), 0.0))
  return r1, r2, u1, tangent, w


def _slerp_at(frame, t):
  r1, r2, u1, tangent, w = frame
  return lerp(r1, r2, t) * (jnp.cos(t * w) * u1 + jnp.sin(t * w) * tangent)


def slerp(z1: Array, z2: Array, t: Array) -> Array:
  """Spherical interpolation of directions, linear interpolation of norms.

  Args:
    z1, z2: (d,) codes; t: a position in [0, 1].
  Returns:
    The (d,) code at t; z1 at t = 0, z2 at t = 1.

  For unit inputs this is Shoemake's slerp, sin((1-t)w)/sin(w) z1 +
  sin(tw)/sin(w) z2, written as the geodesic cos(tw) u1 + sin(tw) tangent so it
  is exact as w -> 0 and defined at w = pi (any orthogonal tangent is taken).
  For latent codes of other norms the radius is lerped, so the path decodes
  with codes of the magnitude the decoder was trained on.
  """
  return _slerp_at(_slerp_frame(z1, z2), t)


def slerp_path(z1: Array, z2: Array, ts: Array) -> Array:
  """slerp at every t of ts, (S,) -> (S, d); the per-pair frame is computed once."""
  frame = _slerp_frame(z1, z2)
  return jax.vmap(lambda t: _slerp_at(frame, t))(ts)


INTERPOLATIONS = {'lerp': lerp, 'slerp': slerp}


def direct_path(z1, z2, t, interp='slerp'):
  """The code at position t in [0, 1] of one interpolation from z1 to z2."""
  return INTERPOLATIONS[interp](z1, z2, t)


def class_step(y1, y2, circular=False, num_classes=None):
  """The signed class distance from y1 to y2; for circular labels the shorter way
  round (ties go upwards), so y1 + class_step reaches y2 modulo num_classes."""
  if not circular:
    return y2 - y1
  half = num_classes // 2
  return jnp.mod(y2 - y1 + half, num_classes) - half


def semantic_path(z1, z2, y1, y2, prototypes, t, interp='slerp', circular=False):
  """Piecewise interpolation from z1 (class y1) to z2 (class y2) through the
  prototypes of the classes strictly between them, in order.

  prototypes: (num_classes, d) unit directions. Each waypoint is scaled to the
  radius lerped between |z1| and |z2| at its position, so only the direction
  follows the prototypes. Shapes are static, so the function vmaps over pairs
  with different class distances. circular: the classes form a ring (angle
  bins) and the path goes the shorter way round.
  """
  k_classes = prototypes.shape[0]
  delta = class_step(y1, y2, circular, k_classes)
  steps = jnp.abs(delta)
  sign = jnp.sign(delta)
  r1, r2 = safe_norm(z1), safe_norm(z2)

  def waypoint(k):
    radius = lerp(r1, r2, k / jnp.maximum(steps, 1))
    c = y1 + sign * k
    proto = prototypes[jnp.mod(c, k_classes) if circular else jnp.clip(c, 0, k_classes - 1)]
    inner = radius * normalize(proto)
    return jnp.where(k <= 0, z1, jnp.where(k >= steps, z2, inner))

  position = t * steps
  k = jnp.clip(jnp.floor(position), 0, jnp.maximum(steps - 1, 0)).astype(y1.dtype)
  local_t = jnp.where(steps > 0, position - k, t)
  return INTERPOLATIONS[interp](waypoint(k), waypoint(k + 1), local_t)


def path_ts(num_steps):
  return jnp.linspace(0.0, 1.0, num_steps)


@functools.partial(jax.jit, static_argnames='interp')
def direct_paths_batch(z1: Array, z2: Array, ts: Array, interp: str = 'slerp') -> Array:
  """One interpolation per pair, evaluated at every t.

  Args:
    z1, z2: (P, d) start and end codes; ts: (S,) positions in [0, 1];
    interp: 'slerp' or 'lerp'.
  Returns:
    (P, S, d) codes.
  """
  if interp == 'slerp':
    per_pair = slerp_path
  else:
    per_pair = jax.vmap(functools.partial(direct_path, interp=interp), in_axes=(None, None, 0))
  return jax.vmap(per_pair, in_axes=(0, 0, None))(z1, z2, ts)


@functools.partial(jax.jit, static_argnames=('interp', 'circular'))
def semantic_paths_batch(z1: Array, z2: Array, y1: Array, y2: Array, prototypes: Array,
                         ts: Array, interp: str = 'slerp', circular: bool = False) -> Array:
  """Semantic paths (see `semantic_path`) for every pair, evaluated at every t.

  Args:
    z1, z2: (P, d) start and end codes; y1, y2: (P,) their classes;
    prototypes: (K, d) unit class directions; ts: (S,) positions in [0, 1];
    interp: 'slerp' or 'lerp'; circular: whether the K classes form a ring.
  Returns:
    (P, S, d) codes.
  """
  path = functools.partial(semantic_path, interp=interp, circular=circular)
  per_step = jax.vmap(path, in_axes=(None, None, None, None, None, 0))
  per_pair = jax.vmap(per_step, in_axes=(0, 0, 0, 0, None, None))
  return per_pair(z1, z2, y1, y2, prototypes, ts)


def spherical_mean(v: Array, axis: int = 0) -> Array:
  """Normalised mean direction of the vectors along `axis` (extrinsic mean)."""
  return normalize(jnp.mean(normalize(v), axis=axis))


def class_prototypes(z: Array, labels: Array, num_classes: int) -> Array:
  """Each class's spherical mean direction.

  Args:
    z: (N, d) codes; labels: (N,) classes in [0, num_classes).
  Returns:
    (num_classes, d) unit vectors.
  """
  onehot = jax.nn.one_hot(labels, num_classes, dtype=z.dtype)
  return normalize(onehot.T @ normalize(z))
