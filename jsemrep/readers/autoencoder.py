"""The evaluation readers' own autoencoder. A reader learns from its reconstructions of
the training images and reads every image, real or decoded, as it gives it back: real
images and a decoder's outputs are then read in one domain, so that a reader reads a
decoder's output as it reads a real image (the readers' gate, docs/evaluation.md).

It is the project's encoder and decoder, trained deterministically (the code is the
posterior mean, no KL) on a cross-entropy reconstruction for a few epochs, and for at least
MIN_STEPS steps (a few epochs of a small dataset are too few steps: mnist5k's 3,600 digits
gave 84, after which its readers read 45 % of the test digits): its reconstructions lose
the detail that a trained model's do, not the content."""

import functools

import jax
import jax.numpy as jnp
import optax

from jsemrep import images as images_lib
from jsemrep import inference
from jsemrep import losses
from jsemrep import models
from jsemrep.readers import loop

EPOCHS = 3
MIN_STEPS = 500   # the schedules that served rotated_mnist5k (588 steps) and synthetic_heads
BATCH = 128


def _reconstruct(model, params, x):
  mu, _ = model.apply({'params': params}, x, method=models.VAE.encode)
  return model.apply({'params': params}, mu, method=models.VAE.decode)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _train_step(model, tx, params, opt_state, x):
  grads = jax.grad(lambda p: losses.reconstruction(_reconstruct(model, p, x), x, 'bce'))(params)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


@functools.partial(jax.jit, static_argnums=0)
def _reconstruct_uint8(model, params, images):
  logits = _reconstruct(model, params, images_lib.to_float(images))
  return jnp.round(jax.nn.sigmoid(logits) * 255).astype(jnp.uint8)


def num_steps(num_images, epochs=EPOCHS):
  """Training steps for `num_images`: `epochs` epochs, and at least MIN_STEPS."""
  return max(epochs * (num_images // min(BATCH, num_images)), MIN_STEPS)


def train(images, epochs=EPOCHS, seed=0, widths=None):
  """(model, params) of the autoencoder trained on uint8 images for num_steps steps;
  widths: models.VAE's keyword arguments beyond the image shape (default: its own, a
  64-d code)."""
  model = models.VAE(image_shape=tuple(images.shape[1:]), **(widths or {}))
  params = models.init_vae(model, jax.random.PRNGKey(seed))
  tx = optax.adam(1e-3)
  opt_state = tx.init(params)
  batch = min(BATCH, len(images))
  device_images = jnp.asarray(images)
  step = lambda params, opt_state, idx, number: _train_step(
      model, tx, params, opt_state, images_lib.to_float(device_images[idx]))
  params, _ = loop.train_steps(step, params, opt_state, seed, len(images), batch,
                               range(num_steps(len(images), epochs)))
  return model, params


def reconstruct(model, params, images, chunk=1000):
  """The autoencoder's uint8 reconstructions of uint8 images (in chunks)."""
  return inference.map_in_chunks(functools.partial(_reconstruct_uint8, model, params), images,
                                chunk)
