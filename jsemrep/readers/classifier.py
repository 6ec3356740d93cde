"""Training the evaluation readers and reading images with them: per-image augmentation,
a share of the training images replaced by the readers' autoencoder's reconstructions,
training until the validation accuracy stops improving, and prediction of labels and
features with every image read through that autoencoder (jsemrep.readers.autoencoder)."""

import dataclasses
import functools
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jsemrep import images as images_lib
from jsemrep import inference
from jsemrep import losses
from jsemrep import models
from jsemrep.readers import autoencoder as autoencoder_lib
from jsemrep.readers import loop

BATCH = 128
ARCHITECTURES = {'cnn': models.Classifier, 'mlp': models.MLPClassifier}
SECOND_READER = 'mlp'   # the reader of another architecture that checks the first


def _blur(image, sigma):
  """A 3x3 separable Gaussian blur of one (H, W, C) image (sigma in pixels)."""
  w = jnp.exp(-0.5 / jnp.maximum(sigma, 1e-3) ** 2)
  taps = jnp.array([w, 1.0, w]) / (1.0 + 2.0 * w)
  for axis in (0, 1):
    image = sum(t * jnp.roll(image, shift, axis) for t, shift in zip(taps, (-1, 0, 1)))
  return image


def augment(key, image):
  """One training image (H, W, C) in [0, 1], as decoders tend to give it back: shifted
  by up to 2 pixels, blurred (sigma ~ U[0, 1] px), its contrast scaled by U[0.7, 1]
  about its mean, Gaussian noise of sigma ~ U[0, 0.05], clipped. Written for one image
  and vmapped, so every image draws its own."""
  k_shift, k_blur, k_contrast, k_sigma, k_noise = jax.random.split(key, 5)
  image = jnp.roll(image, jax.random.randint(k_shift, (2,), -2, 3), axis=(0, 1))
  image = _blur(image, jax.random.uniform(k_blur, (), maxval=1.0))
  mean = image.mean()
  image = mean + jax.random.uniform(k_contrast, (), minval=0.7, maxval=1.0) * (image - mean)
  noise = jax.random.uniform(k_sigma, (), maxval=0.05) * jax.random.normal(k_noise, image.shape)
  return jnp.clip(image + noise, 0.0, 1.0)


def mix_reconstructions(key, share, images, reconstructions):
  """Each of a batch of images replaced by its reconstruction with probability
  `share`, drawn per image."""
  pick = jax.random.bernoulli(key, share, (images.shape[0],) + (1,) * (images.ndim - 1))
  return jnp.where(pick, reconstructions, images)


TRIPLET_MARGIN = 0.2


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3))
def _train_step(model, tx, share, objective, params, opt_state, images, reconstructions, labels,
                key):
  k_pick, k_augment = jax.random.split(key)
  images = mix_reconstructions(k_pick, share, images, reconstructions)
  images = jax.vmap(augment)(jax.random.split(k_augment, images.shape[0]), images)

  def loss_fn(p):
    if objective == 'triplet':   # on the features, with semi-hard negatives of the batch
      _, features = model.apply({'params': p}, images, return_features=True)
      return losses.facenet_triplet(features, labels, jax.random.fold_in(key, 1), TRIPLET_MARGIN)
    logits = model.apply({'params': p}, images)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  grads = jax.grad(loss_fn)(params)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


@functools.partial(jax.jit, static_argnums=0)
def _logits_and_features(model, params, images):
  return model.apply({'params': params}, images_lib.to_float(images), return_features=True)


def seen(images, autoencoder=None, chunk=1000):
  """uint8 or [0, 1] float images as a reader sees them: uint8, and as `autoencoder`
  ((model, params) of jsemrep.readers.autoencoder) gives them back, if given."""
  if images.dtype != np.uint8:
    images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
  if autoencoder is not None:
    images = autoencoder_lib.reconstruct(*autoencoder, images, chunk)
  return images


def predict(model, params, images, chunk=1000, autoencoder=None):
  """(labels (N,), features (N, F)) for uint8 or [0, 1] float images, each read as
  `autoencoder` gives it back, if given (`seen`)."""
  logits, features = inference.map_in_chunks(
      functools.partial(_logits_and_features, model, params), seen(images, autoencoder, chunk),
      chunk)
  return logits.argmax(-1), features


@dataclasses.dataclass(frozen=True, eq=False)
class Reader:
  """A trained reader: reader(images) -> (labels (N,), features (N, F)) of uint8 or
  [0, 1] images, each read through `autoencoder`. The readers of one dataset share its
  readers' autoencoder, so several of them read a batch with its reconstruction made
  once: `reader.read_seen(seen_images)`, seen_images = `reader.seen(images)`."""
  model: object
  params: dict
  autoencoder: tuple

  def __call__(self, images, chunk=1000):
    return predict(self.model, self.params, images, chunk, self.autoencoder)

  def seen(self, images, chunk=1000):
    return seen(images, self.autoencoder, chunk)

  def read_seen(self, seen_images, chunk=1000):
    return predict(self.model, self.params, seen_images, chunk)


MAX_EPOCHS = 30
PATIENCE = 3        # epochs without a better validation accuracy before training stops
# The share of training images replaced by the reader-owned autoencoder's reconstruction
# of them (chosen on rotated_mnist5k's validation split: docs/choices.md).
RECONSTRUCTION_SHARE = 1.0

def accuracy(model, params, split, autoencoder=None):
  predicted, _ = predict(model, params, split['image'], autoencoder=autoencoder)
  return float(np.mean(predicted == split['label']))


def train_classifier(train, validation, test, num_classes, epochs=MAX_EPOCHS, seed=0,
                     arch='cnn', reconstruction_share=RECONSTRUCTION_SHARE, autoencoder=None,
                     widths=None, score=accuracy, objective='softmax', draw=None):
  """(model, params, info) of a classifier trained with per-image augmentation until
  its validation accuracy has not improved for PATIENCE epochs (at most `epochs`); the
  parameters of its best validation epoch are kept. With `autoencoder` ((model, params)
  of jsemrep.readers.autoencoder), a `reconstruction_share` of the training images is
  drawn, per image and step, as its reconstruction instead, and validation and test
  images are read through it. widths: the model's keyword arguments beyond
  num_classes (default: its own defaults). score(model, params, split, autoencoder): what
  validation picks and test reports (default: accuracy; the identity reader's rank-1
  across views, jsemrep.readers.identity). objective: 'softmax' (cross-entropy over the
  classes) or 'triplet' (FaceNet's triplet loss on the features, labels naming who is
  who: the identity reader); draw(seed, step): the batch's indices (default: a
  permutation per epoch, pipeline.batch_indices). info: test_accuracy,
  validation_accuracy (both that score), epochs (trained), best_epoch,
  reconstruction_share."""
  if reconstruction_share and autoencoder is None:
    raise ValueError(f'reconstruction_share={reconstruction_share} needs the readers\' '
                     'autoencoder')
  model = ARCHITECTURES[arch](num_classes, **(widths or {}))
  key = jax.random.PRNGKey(seed)
  params = jax.jit(lambda k: model.init(k, jnp.zeros((1, *train['image'].shape[1:])))['params'])(
      key)
  steps_per_epoch = max(1, len(train['label']) // BATCH)
  batch = min(BATCH, len(train['label']))
  tx = optax.adam(1e-3)
  opt_state = tx.init(params)
  start = time.perf_counter()
  images, labels = jnp.asarray(train['image']), jnp.asarray(train['label'])
  reconstructions = images
  if reconstruction_share:
    reconstructions = jnp.asarray(autoencoder_lib.reconstruct(*autoencoder, train['image']))
  step = lambda params, opt_state, idx, number: _train_step(
      model, tx, float(reconstruction_share), objective, params, opt_state,
      images_lib.to_float(images[idx]), images_lib.to_float(reconstructions[idx]), labels[idx],
      jax.random.fold_in(key, number))
  best, best_params, best_epoch, epoch = -1.0, params, 0, 0
  while epoch < epochs and epoch - best_epoch < PATIENCE:
    params, opt_state = loop.train_steps(
        step, params, opt_state, seed, len(labels), batch,
        range(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch), draw)
    epoch += 1
    value = score(model, params, validation, autoencoder)
    if value > best:
      best, best_params, best_epoch = value, params, epoch
    print(f'classifier epoch {epoch}: validation {score.__name__} {value:.4f} (best {best:.4f} '
          f'at epoch {best_epoch}), {time.perf_counter() - start:.0f} s', flush=True)
  return model, best_params, {'test_accuracy': score(model, best_params, test, autoencoder),
                              'validation_accuracy': best, 'epochs': epoch,
                              'best_epoch': best_epoch,
                              'reconstruction_share': reconstruction_share}


