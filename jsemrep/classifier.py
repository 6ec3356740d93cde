"""The evaluation classifier: a CNN trained on a dataset's training split, cached
beside the datasets, used to label decoded images and to give features for FID,
precision and recall (docs/evaluation.md). It reads every image as the readers'
autoencoder (jsemrep.reader_autoencoder, one per dataset, cached beside it) gives it
back."""

import functools
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp

from jsemrep import data
from jsemrep import images as images_lib
from jsemrep import inference
from jsemrep import models
from jsemrep import reader_autoencoder
from jsemrep.data import pipeline
from jsemrep.errors import DataError

BATCH = 128


ARCHITECTURES = {'cnn': models.Classifier, 'mlp': models.MLPClassifier}
SECOND_READER = 'mlp'   # the reader of another architecture that checks the first


def _root(data_dir):
  return os.environ.get('JSEMREP_CLASSIFIER_DIR') or os.path.join(
      os.path.dirname(pipeline.data_dir_or_default(data_dir)), 'classifiers')


def classifier_dir(dataset, data_dir=None, field='label', arch='cnn'):
  """Where the classifier of `field` on `dataset` is cached: classifiers/DATASET for
  the label, classifiers/DATASET-FIELD for another field (e.g. rotated digits' class),
  with -ARCH appended for an architecture other than the CNN."""
  name = dataset if field == 'label' else f'{dataset}-{field}'
  return os.path.join(_root(data_dir), name if arch == 'cnn' else f'{name}-{arch}')


def autoencoder_dir(dataset, data_dir=None):
  """Where the readers' autoencoder of `dataset` is cached (every reader of it shares it)."""
  return os.path.join(_root(data_dir), f'{dataset}-reader-autoencoder')


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


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _train_step(model, tx, share, params, opt_state, images, reconstructions, labels, key):
  k_pick, k_augment = jax.random.split(key)
  images = mix_reconstructions(k_pick, share, images, reconstructions)
  images = jax.vmap(augment)(jax.random.split(k_augment, images.shape[0]), images)

  def loss_fn(p):
    logits = model.apply({'params': p}, images)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  grads = jax.grad(loss_fn)(params)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


@functools.partial(jax.jit, static_argnums=0)
def _logits_and_features(model, params, images):
  return model.apply({'params': params}, images_lib.to_float(images), return_features=True)


def predict(model, params, images, chunk=1000, autoencoder=None):
  """(labels (N,), features (N, F)) for uint8 or [0, 1] float images, each read as
  `autoencoder` ((model, params) of jsemrep.reader_autoencoder) gives it back, if given."""
  if images.dtype != np.uint8:
    images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
  if autoencoder is not None:
    images = reader_autoencoder.reconstruct(*autoencoder, images, chunk)
  logits, features = inference.map_in_chunks(
      functools.partial(_logits_and_features, model, params), images, chunk)
  return logits.argmax(-1), features


MAX_EPOCHS = 30
PATIENCE = 3        # epochs without a better validation accuracy before training stops
# The share of training images replaced by the reader-owned autoencoder's reconstruction
# of them (chosen on rotated_mnist5k's validation split: docs/choices.md).
RECONSTRUCTION_SHARE = 1.0
CLASSIFIER_VERSION = 5   # 2: per-image augmentation, trained until validation stops
                         # improving; 3: and reconstructions of a reader-owned autoencoder;
                         # 4: every image read through that autoencoder (docs/choices.md);
                         # 5: that autoencoder trained for at least MIN_STEPS steps


def accuracy(model, params, split, autoencoder=None):
  predicted, _ = predict(model, params, split['image'], autoencoder=autoencoder)
  return float(np.mean(predicted == split['label']))


def train_classifier(train, validation, test, num_classes, epochs=MAX_EPOCHS, seed=0,
                     arch='cnn', reconstruction_share=RECONSTRUCTION_SHARE, autoencoder=None):
  """(model, params, info) of a classifier trained with per-image augmentation until
  its validation accuracy has not improved for PATIENCE epochs (at most `epochs`); the
  parameters of its best validation epoch are kept. With `autoencoder` ((model, params)
  of jsemrep.reader_autoencoder), a `reconstruction_share` of the training images is
  drawn, per image and step, as its reconstruction instead, and validation and test
  images are read through it. info: test_accuracy, validation_accuracy, epochs
  (trained), best_epoch, reconstruction_share."""
  if reconstruction_share and autoencoder is None:
    raise ValueError(f'reconstruction_share={reconstruction_share} needs the readers\' '
                     'autoencoder')
  model = ARCHITECTURES[arch](num_classes)
  key = jax.random.PRNGKey(seed)
  params = model.init(key, jnp.zeros((1, *train['image'].shape[1:])))['params']
  steps_per_epoch = max(1, len(train['label']) // BATCH)
  batch = min(BATCH, len(train['label']))
  tx = optax.adam(1e-3)
  opt_state = tx.init(params)
  start = time.perf_counter()
  images, labels = jnp.asarray(train['image']), jnp.asarray(train['label'])
  reconstructions = images
  if reconstruction_share:
    reconstructions = jnp.asarray(reader_autoencoder.reconstruct(*autoencoder, train['image']))
  best, best_params, best_epoch, epoch = -1.0, params, 0, 0
  while epoch < epochs and epoch - best_epoch < PATIENCE:
    for step in range(epoch * steps_per_epoch, (epoch + 1) * steps_per_epoch):
      idx = data.batch_indices(seed, step, len(labels), batch)
      params, opt_state = _train_step(model, tx, float(reconstruction_share), params,
                                      opt_state, images_lib.to_float(images[idx]),
                                      images_lib.to_float(reconstructions[idx]), labels[idx],
                                      jax.random.fold_in(key, step))
    epoch += 1
    score = accuracy(model, params, validation, autoencoder)
    if score > best:
      best, best_params, best_epoch = score, params, epoch
    print(f'classifier epoch {epoch}: validation accuracy {score:.4f} (best {best:.4f} at epoch '
          f'{best_epoch}), {time.perf_counter() - start:.0f} s', flush=True)
  return model, best_params, {'test_accuracy': accuracy(model, best_params, test, autoencoder),
                              'validation_accuracy': best, 'epochs': epoch,
                              'best_epoch': best_epoch,
                              'reconstruction_share': reconstruction_share}


def save(directory, params, info):
  os.makedirs(directory, exist_ok=True)
  with ocp.StandardCheckpointer() as ckpt:
    ckpt.save(os.path.join(os.path.abspath(directory), 'params'), params, force=True)
  with open(os.path.join(directory, 'info.json'), 'w', encoding='utf-8') as f:
    json.dump(info, f, indent=2)


def _stored_info(directory):
  path = os.path.join(directory, 'info.json')
  if not os.path.exists(path):
    return None
  with open(path, encoding='utf-8') as f:
    return json.load(f)


def _current(info, dataset):
  """Whether a stored classifier is of this dataset version and classifier version."""
  return (info is not None and info.get('data_version') == data.version(dataset)
          and info.get('classifier_version') == CLASSIFIER_VERSION)


def _restore_params(directory, init):
  abstract = jax.eval_shape(init)
  with ocp.StandardCheckpointer() as ckpt:
    return ckpt.restore(os.path.join(os.path.abspath(directory), 'params'), abstract)


def load_or_train_autoencoder(dataset, data_dir=None, manual_dir=None):
  """(model, params) of the readers' autoencoder of `dataset`, trained on its training
  images first if none is stored for this version of the dataset and of the readers."""
  directory = autoencoder_dir(dataset, data_dir)
  if not _current(_stored_info(directory), dataset):
    images = data.load(dataset, 'train', data_dir, manual_dir)['image']
    print(f'training the readers\' autoencoder of {dataset}', flush=True)
    start = time.perf_counter()
    _, params = reader_autoencoder.train(images)
    save(directory, params, {'dataset': dataset, 'data_version': data.version(dataset),
                             'classifier_version': CLASSIFIER_VERSION,
                             'epochs': reader_autoencoder.EPOCHS,
                             'steps': reader_autoencoder.num_steps(len(images)),
                             'seconds': round(time.perf_counter() - start),
                             'image_shape': list(images.shape[1:])})
  info = _stored_info(directory)
  model = models.VAE(image_shape=tuple(info['image_shape']))
  return model, _restore_params(directory, lambda: models.init_vae(model, jax.random.PRNGKey(0)))


def load_or_train(dataset, data_dir=None, manual_dir=None, epochs=MAX_EPOCHS, field='label',
                  arch='cnn'):
  """(read, info) of a reader predicting `field` (default: the label, the evaluation
  classifier) from the dataset's images, training it on the train split first (at
  most `epochs` epochs, stopped on validation) if none is stored for this version of
  the dataset and of the classifier; read(uint8 or [0, 1] images) -> (labels,
  features), every image read through the readers' autoencoder. arch: 'cnn' (the
  evaluation classifier) or 'mlp' (the second reader)."""
  directory = classifier_dir(dataset, data_dir, field, arch)
  if not _current(_stored_info(directory), dataset):
    splits = {s: data.load(dataset, s, data_dir, manual_dir)
              for s in ('train', 'validation', 'test')}
    if field not in splits['train']:
      raise DataError(f'{dataset} has no field {field!r} (fields: '
                      f'{", ".join(sorted(splits["train"]))})')
    splits = {name: {'image': s['image'], 'label': s[field].astype(np.int32)}
              for name, s in splits.items()}
    k = data.num_classes(splits['train']['label'])
    autoencoder = load_or_train_autoencoder(dataset, data_dir, manual_dir)
    print(f'training a classifier ({arch}) of {field} on {dataset}', flush=True)
    _, params, info = train_classifier(splits['train'], splits['validation'], splits['test'], k,
                                       epochs, arch=arch, autoencoder=autoencoder)
    save(directory, params, {'dataset': dataset, 'field': field, 'arch': arch, 'data_version':
                             data.version(dataset), 'classifier_version': CLASSIFIER_VERSION,
                             'num_classes': k, **info,
                             'image_shape': list(splits['train']['image'].shape[1:])})
  return _restore(directory, dataset, data_dir, manual_dir)


def load_cached(dataset, data_dir=None, field='label', arch='cnn'):
  """(read, info) of the stored reader for this version of the dataset, or None when
  there is none (nothing is trained)."""
  directory = classifier_dir(dataset, data_dir, field, arch)
  if not (_current(_stored_info(directory), dataset)
          and _current(_stored_info(autoencoder_dir(dataset, data_dir)), dataset)):
    return None
  return _restore(directory, dataset, data_dir)


def _restore(directory, dataset, data_dir=None, manual_dir=None):
  info = _stored_info(directory)
  model = ARCHITECTURES[info.get('arch', 'cnn')](info['num_classes'])
  params = _restore_params(directory, lambda: model.init(
      jax.random.PRNGKey(0), jnp.zeros((1, *info['image_shape'])))['params'])
  autoencoder = load_or_train_autoencoder(dataset, data_dir, manual_dir)
  return functools.partial(predict, model, params, autoencoder=autoencoder), info
