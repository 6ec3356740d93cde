"""The split latent (spec.model.semantic_dims = D > 0): z = [s, c], s = z[..., :D]
the semantic part, c = z[..., D:] the rest. Everything on the sphere (ATNL, prototypes,
paths, edits) acts on s / |s|; c is free (KL only) and carries what an edit keeps (the
identity); the decoder sees all of z. D = 0 is the single latent: the whole code is
semantic and every function here is the identity on it."""

import functools

import jax.numpy as jnp

from jsemrep import sphere


def semantic(z, dims):
  """s, the semantic part of codes (..., d): all of z when dims is 0."""
  return z[..., :dims] if dims else z


def rest(z, dims):
  """c, the part an edit keeps: (..., d - dims); empty for the single latent."""
  return z[..., dims:] if dims else z[..., :0]


def join(s, c):
  """The code [s, c] (c may be empty)."""
  return jnp.concatenate([s, c], axis=-1)


def on_semantic(op, dims):
  """An editing operator op(z, source, target, prototypes, t, circular=...) applied to s
  alone: c is kept exactly, and s keeps its radius as every operator does. prototypes
  are then directions of s (Run.prototypes gives them so)."""
  if not dims:
    return op

  @functools.wraps(op)
  def split_op(z, source, target, prototypes, t, circular=False):
    return join(op(z[:dims], source, target, prototypes, t, circular=circular), z[dims:])
  return split_op


def _with_rest(s_paths, z1, z2, ts, dims):
  """Full-code paths from (P, S, D) paths of s between z1 (P, d) and z2, c moving
  linearly from c1 to c2 at the positions ts (S,)."""
  if not dims:
    return s_paths
  c1, c2 = rest(z1, dims)[:, None], rest(z2, dims)[:, None]
  return join(s_paths, c1 + ts[None, :, None] * (c2 - c1))


def direct_paths(z1, z2, ts, interp, dims):
  """sphere.direct_paths_batch on s, c moving linearly: (P, S, d)."""
  return _with_rest(sphere.direct_paths_batch(semantic(z1, dims), semantic(z2, dims), ts, interp),
                    z1, z2, ts, dims)


def semantic_paths(z1, z2, y1, y2, prototypes, ts, interp, circular, dims):
  """sphere.semantic_paths_batch on s (prototypes of s), c moving linearly: (P, S, d)."""
  return _with_rest(sphere.semantic_paths_batch(semantic(z1, dims), semantic(z2, dims), y1, y2,
                                                prototypes, ts, interp, circular),
                    z1, z2, ts, dims)
