"""`reconstruction`: the reconstruction loss (of the latent mean, the run's own
reconstruction kind) and the KL term on the split, in the training losses' units:
beside the training losses they show over-fitting while training."""

import functools

import jax

from jsemrep import images as images_lib
from jsemrep import losses
from jsemrep import models
from jsemrep.evaluators.base import Column, Evaluator, Result


@functools.partial(jax.jit, static_argnums=(0, 1))
def _losses(model, reconstruction, params, images, labels):
  """(rec, kl) summed over a chunk of uint8 images (means times the chunk size); a
  conditional model decodes its class embedding of `labels` in place of s."""
  x = images_lib.to_float(images)
  mu, logvar = model.apply({'params': params}, x, method=models.VAE.encode)
  code = model.apply({'params': params}, mu, labels, method='with_class') if (
      model.conditional_classes) else mu
  decoded = model.apply({'params': params}, code, method=models.VAE.decode)
  n = x.shape[0]
  return (losses.reconstruction(decoded, x, reconstruction) * n,
          losses.kl_divergence(mu, logvar) * n)


def evaluate(run, split, seed, figure_dir, *, chunk):
  del seed, figure_dir
  images, labels = run.split(split)['image'], run.split(split)['label']
  n = len(images)
  usable = n - n % chunk if n >= chunk else n   # fixed-shape chunks, one compile
  size = chunk if n >= chunk else n
  rec = kl = 0.0
  for start in range(0, usable, size):
    r, k = _losses(run.model, run.spec.loss.reconstruction, run.params,
                   images[start:start + size], labels[start:start + size])
    rec, kl = rec + float(r), kl + float(k)
  return Result({'rec': rec / usable, 'kl': kl / usable}, None, {'examples': usable})


EVALUATORS = (Evaluator('reconstruction', (
    Column('rec', 'rec. loss', higher=False),
    Column('kl', 'KL', higher=False),
), evaluate, options={'chunk': (500, 'Images per device call (a remainder is left out).')}),)
