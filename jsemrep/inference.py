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
  last one padded), so a jitted fn compiles for a few shapes whatever the length;
  every chunk is dispatched before any result is fetched (one host sync). fn may
  return a pytree of arrays."""
  n = len(array)
  chunk = chunk_size(n, chunk)
  pad = -n % chunk if n else chunk
  padded = np.concatenate([array, np.zeros((pad, *array.shape[1:]), array.dtype)])
  outs = [fn(padded[i:i + chunk]) for i in range(0, len(padded), chunk)]
  return jax.tree.map(lambda *parts: np.concatenate([np.asarray(p) for p in parts])[:n], *outs)


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
