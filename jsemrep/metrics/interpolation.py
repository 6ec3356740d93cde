"""Ordinal interpolation accuracy (DESIGN §5), written for one path and vmapped."""

import jax
import jax.numpy as jnp


def expected_labels(start, end, ts):
  """The class expected at each path position t: round(start + t (end - start))."""
  return jnp.round(start + ts * (end - start)).astype(jnp.int32)


def path_correct(predicted, start, end, ts):
  """Per-image correctness of one path's predicted labels, (S,) -> (S,) bool."""
  return predicted == expected_labels(start, end, ts)


def path_monotone(predicted, start, end):
  """True when the labels go from `start` to `end` without ever stepping back."""
  direction = jnp.sign(end - start)
  steps = jnp.diff(predicted) * direction
  return (predicted[0] == start) & (predicted[-1] == end) & jnp.all(steps >= 0)


def ordinal_scores(predicted, starts, ends, ts):
  """predicted (P, S) labels of P paths -> (accuracy over all images, monotone fraction)."""
  correct = jax.vmap(path_correct, in_axes=(0, 0, 0, None))(predicted, starts, ends, ts)
  monotone = jax.vmap(path_monotone)(predicted, starts, ends)
  return jnp.mean(correct), jnp.mean(monotone)
