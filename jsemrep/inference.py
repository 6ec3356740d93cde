"""Encoding and decoding whole arrays with a trained VAE, in jitted chunks."""

import functools

import jax
import numpy as np

from jsemrep import images as images_lib
from jsemrep import models


@functools.partial(jax.jit, static_argnums=0)
def _encode(model, params, images):
  mu, _ = model.apply({'params': params}, images_lib.to_float(images), method=models.VAE.encode)
  return mu


@functools.partial(jax.jit, static_argnums=0)
def _decode(model, params, z):
  return model.apply({'params': params}, z, method=models.VAE.decode)


SMALLEST_CHUNK = 16


def chunk_size(n, chunk):
  """The rows per call for n rows: `chunk`, or for fewer rows the next power of two
  (at least SMALLEST_CHUNK), so a small array is not padded to a large chunk and a
  jitted fn compiles for a handful of sizes only."""
  if n >= chunk:
    return chunk
  return min(chunk, max(SMALLEST_CHUNK, 1 << max(n - 1, 0).bit_length()))


def map_in_chunks(fn, array, chunk=1000):
  """fn over `array` in chunks of exactly `chunk_size(len(array), chunk)` rows (the
  last one padded), so a jitted fn compiles for a few shapes whatever the length.
  Chunks are dispatched a few ahead of the host copying their results into one
  preallocated output (its memory once, not a list of parts and their concatenation).
  fn may return a pytree of arrays."""
  n = len(array)
  size = chunk_size(n, chunk)

  def piece(start):
    part = np.asarray(array[start:start + size])
    if len(part) < size:
      part = np.concatenate([part, np.zeros((size - len(part), *part.shape[1:]), part.dtype)])
    return fn(part)

  starts = list(range(0, max(n, 1), size))
  ahead = [piece(s) for s in starts[:2]]
  out = None
  for k, start in enumerate(starts):
    result = ahead.pop(0)
    if k + 2 < len(starts):
      ahead.append(piece(starts[k + 2]))
    if out is None:
      out = jax.tree.map(lambda r: np.empty((n, *r.shape[1:]), r.dtype), result)
    rows = min(size, n - start)
    for o, r in zip(jax.tree.leaves(out), jax.tree.leaves(result)):
      o[start:start + rows] = np.asarray(r)[:rows]
  return out


def encode(model, params, images, chunk=1000):
  """uint8 images (N, H, W, C) -> latent means (N, d)."""
  if np.asarray(images).dtype != np.uint8:
    raise TypeError(f'encode takes uint8 images (0..255); got {np.asarray(images).dtype}')
  return map_in_chunks(functools.partial(_encode, model, params), images, chunk)


def decode(model, params, z, chunk=1000):
  """Latents (..., d) -> decoder outputs (..., H, W, C); images are clip(out, 0, 1)
  for l1/l2 models and sigmoid(out) for bce."""
  flat = z.reshape(-1, z.shape[-1])
  out = map_in_chunks(functools.partial(_decode, model, params), flat, chunk)
  return out.reshape(*z.shape[:-1], *out.shape[1:])


def to_images(decoded, reconstruction):
  """Decoder outputs (numpy) as images in [0, 1] (see images.decoded_to_images)."""
  return np.asarray(images_lib.decoded_to_images(decoded, reconstruction))
