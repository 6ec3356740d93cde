"""Semantic editing on the sphere: move one code from its class to another class.

Every operator is written for one code and vmaps over codes and positions:
`op(z, source, target, prototypes, t) -> code`, with t in [0, 1] the position
along the edit (t = 0 is z itself). Only the code's direction is edited; its
radius is kept, so the decoder sees codes of the magnitude it was trained on.
prototypes: (K, d) unit class directions (sphere.class_prototypes).
"""

import functools

import jax
import jax.numpy as jnp

from jsemrep import sphere

Array = jax.Array


def _radius_and_direction(z):
  return sphere.safe_norm(z), sphere.normalize(z)


def prototype_path(z: Array, source: Array, target: Array, prototypes: Array,
                   t: Array, circular: bool = False) -> Array:
  """The paper's semantic slerp, from z through the prototypes of the classes
  between source and target, ending on the target's prototype (at |z|)."""
  radius, _ = _radius_and_direction(z)
  return sphere.semantic_path(z, radius * prototypes[target], source, target, prototypes, t,
                              circular=circular)


def plane_rotation(u: Array, a: Array, b: Array, fraction: Array) -> Array:
  """u rotated in the plane of unit a and b by `fraction` of the angle from a to b;
  the component of u orthogonal to that plane is kept. fraction = 1 maps a to b."""
  e1 = a
  e2 = sphere.normalize(b - jnp.dot(a, b) * a)
  phi = fraction * sphere.angle(a, b)
  x, y = jnp.dot(u, e1), jnp.dot(u, e2)
  rest = u - x * e1 - y * e2
  c, s = jnp.cos(phi), jnp.sin(phi)
  return rest + (x * c - y * s) * e1 + (x * s + y * c) * e2


def transport(z: Array, source: Array, target: Array, prototypes: Array, t: Array,
              circular: bool = False) -> Array:
  """Rotates z's direction class by class: for each step c -> c±1 between source and
  target, the rotation in the plane of prototypes c and c±1 that takes one to the
  other, keeping everything orthogonal to that plane (what the code holds besides its
  class). At t the first floor(t n) of the n steps are applied whole and the next one
  in part. circular: the classes form a ring and the steps go the shorter way round."""
  radius, u = _radius_and_direction(z)
  k_classes = prototypes.shape[0]
  delta = sphere.class_step(source, target, circular, k_classes)
  steps, sign = jnp.abs(delta), jnp.sign(delta)
  position = t * steps
  wrap = (lambda c: jnp.mod(c, k_classes)) if circular else (
      lambda c: jnp.clip(c, 0, k_classes - 1))

  def step(k, u):
    a = prototypes[wrap(source + sign * k)]
    b = prototypes[wrap(source + sign * (k + 1))]
    fraction = jnp.clip(position - k, 0.0, 1.0)
    return plane_rotation(u, a, b, fraction)
  u = jax.lax.fori_loop(0, k_classes - 1, lambda k, u: jnp.where(k < steps, step(k, u), u), u)
  return radius * sphere.normalize(u)


def arithmetic(z: Array, source: Array, target: Array, prototypes: Array, t: Array,
               circular: bool = False) -> Array:
  """Vector arithmetic on directions: z/|z| + t (p_target - p_source), renormalised,
  at z's radius (no path through other classes, so `circular` changes nothing)."""
  del circular
  radius, u = _radius_and_direction(z)
  return radius * sphere.normalize(u + t * (prototypes[target] - prototypes[source]))


def guided(z: Array, target: Array, weights: Array, bias: Array, steps: int = 30,
           step_size: float = 0.1) -> Array:
  """Riemannian gradient ascent on the sphere of a linear classifier's log-probability
  of `target` (logits = W u + b on unit codes u, trained on train codes): each step
  moves the direction along the great circle of the gradient's tangent component by
  the angle `step_size` (the exponential map of a normalised gradient step), stopping
  at the first step where `target` is the classifier's prediction. Returns the edited
  code at z's radius.

  Args:
    z: (d,) code; target: the class to reach; weights: (K, d); bias: (K,);
    steps: the most steps; step_size: the angle of one step, in radians.
  """
  radius, u = _radius_and_direction(z)
  log_prob = lambda u: jax.nn.log_softmax(weights @ u + bias)[target]

  def body(_, u):
    reached = jnp.argmax(weights @ u + bias) == target
    g = jax.grad(log_prob)(u)
    direction = sphere.normalize(g - jnp.dot(g, u) * u)
    moved = jnp.cos(step_size) * u + jnp.sin(step_size) * direction
    return jnp.where(reached, u, moved)
  return radius * jax.lax.fori_loop(0, steps, body, u)


def guided_path(z: Array, source: Array, target: Array, prototypes: Array, t: Array,
                circular: bool = False, *, weights: Array, bias: Array, steps: int = 30,
                step_size: float = 0.1) -> Array:
  """`guided` as a path: at t, guided steps toward the class round(source + t (target -
  source)) (the shorter way round for circular classes), so t = 1 aims at the target
  and the classes in between come in order. prototypes is unused (the classifier
  defines the classes); it keeps the common signature."""
  k_classes = prototypes.shape[0]
  delta = sphere.class_step(source, target, circular, k_classes)
  at_t = jnp.round(source + t * delta).astype(jnp.int32)
  at_t = jnp.mod(at_t, k_classes) if circular else at_t
  return guided(z, at_t, weights, bias, steps, step_size)


OPERATORS = {'prototype_path': prototype_path, 'transport': transport, 'arithmetic': arithmetic}


def operators(weights: Array, bias: Array, steps: int = 30,
              step_size: float = 0.1) -> dict:
  """Every operator with the common signature op(z, source, target, prototypes, t,
  circular=False):
  OPERATORS plus `guided` bound to a latent linear classifier (weights (K, d), bias
  (K,), fitted on unit train codes)."""
  bound = functools.partial(guided_path, weights=jnp.asarray(weights, jnp.float32),
                            bias=jnp.asarray(bias, jnp.float32), steps=steps, step_size=step_size)
  return {**OPERATORS, 'guided': bound}


def edit_paths(op, z: Array, source: Array, target: Array, prototypes: Array, ts: Array,
               circular: bool = False) -> Array:
  """(P, S, d) codes of P edits (z (P, d), source and target (P,)) at the S positions ts."""
  op = functools.partial(op, circular=circular)
  along = jax.vmap(op, in_axes=(None, None, None, None, 0))
  return jax.vmap(along, in_axes=(0, 0, 0, None, None))(z, source, target, prototypes, ts)
