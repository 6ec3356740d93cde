"""The evaluation classifier: a CNN trained on a dataset's training split, cached
beside the datasets, used to label decoded images and to give features for FID,
precision and recall (docs/evaluation.md)."""

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
from jsemrep.data import pipeline
from jsemrep.errors import DataError

BATCH = 128


def classifier_dir(dataset, data_dir=None, field='label'):
  """Where the classifier of `field` on `dataset` is cached: classifiers/DATASET for
  the label, classifiers/DATASET-FIELD for another field (e.g. rotated digits' class)."""
  root = os.environ.get('JSEMREP_CLASSIFIER_DIR') or os.path.join(
      os.path.dirname(pipeline.data_dir_or_default(data_dir)), 'classifiers')
  return os.path.join(root, dataset if field == 'label' else f'{dataset}-{field}')


@functools.partial(jax.jit, static_argnums=(0, 1))
def _train_step(model, tx, params, opt_state, images, labels, key):
  shift = jax.random.randint(key, (2,), -2, 3)   # small translations as augmentation
  images = jnp.roll(images, shift, axis=(1, 2))

  def loss_fn(p):
    logits = model.apply({'params': p}, images)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  grads = jax.grad(loss_fn)(params)
  updates, opt_state = tx.update(grads, opt_state, params)
  return optax.apply_updates(params, updates), opt_state


@functools.partial(jax.jit, static_argnums=0)
def _logits_and_features(model, params, images):
  return model.apply({'params': params}, images_lib.to_float(images), return_features=True)


def predict(model, params, images, chunk=1000):
  """(labels (N,), features (N, F)) for uint8 or [0, 1] float images."""
  if images.dtype != np.uint8:
    images = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
  logits, features = inference.map_in_chunks(
      functools.partial(_logits_and_features, model, params), images, chunk)
  return logits.argmax(-1), features


MAX_STEPS = 800   # caps the epochs on large training splits (rotated_mnist5k: 4 of 196 steps)


def train_classifier(train, test, num_classes, epochs, seed=0):
  """(model, params, test accuracy) after `epochs` epochs, or fewer where they would
  take more than MAX_STEPS steps."""
  model = models.Classifier(num_classes)
  key = jax.random.PRNGKey(seed)
  params = model.init(key, jnp.zeros((1, *train['image'].shape[1:])))['params']
  steps_per_epoch = len(train['label']) // BATCH
  epochs = max(1, min(epochs, MAX_STEPS // steps_per_epoch))
  tx = optax.adam(optax.cosine_decay_schedule(1e-3, epochs * steps_per_epoch))
  opt_state = tx.init(params)
  images, labels = jnp.asarray(train['image']), jnp.asarray(train['label'])
  start = time.perf_counter()
  for step in range(epochs * steps_per_epoch):
    idx = data.batch_indices(seed, step, len(labels), BATCH)
    params, opt_state = _train_step(model, tx, params, opt_state, images_lib.to_float(images[idx]),
                                    labels[idx], jax.random.fold_in(key, step))
    if (step + 1) % steps_per_epoch == 0:
      jax.block_until_ready(params)
      elapsed = time.perf_counter() - start
      epoch = (step + 1) // steps_per_epoch
      print(f'classifier epoch {epoch}/{epochs}: {elapsed:.0f} s, '
            f'ETA {elapsed / epoch * (epochs - epoch):.0f} s', flush=True)
  predicted, _ = predict(model, params, test['image'])
  return model, params, float(np.mean(predicted == test['label'])), epochs


def save(directory, params, info):
  os.makedirs(directory, exist_ok=True)
  with ocp.StandardCheckpointer() as ckpt:
    ckpt.save(os.path.join(os.path.abspath(directory), 'params'), params, force=True)
  with open(os.path.join(directory, 'info.json'), 'w', encoding='utf-8') as f:
    json.dump(info, f, indent=2)


def load_or_train(dataset, data_dir=None, manual_dir=None, epochs=15, field='label'):
  """(model, params, info) of a CNN predicting `field` (default: the label, the
  evaluation classifier) from the dataset's images, training it on the train split
  first if none is stored for this version of the dataset."""
  directory = classifier_dir(dataset, data_dir, field)
  info_path = os.path.join(directory, 'info.json')
  wanted = data.version(dataset)
  stored = None
  if os.path.exists(info_path):
    with open(info_path, encoding='utf-8') as f:
      stored = json.load(f).get('data_version')
  if stored != wanted:
    train = data.load(dataset, 'train', data_dir, manual_dir)
    test = data.load(dataset, 'test', data_dir, manual_dir)
    if field not in train:
      raise DataError(f'{dataset} has no field {field!r} (fields: {", ".join(sorted(train))})')
    train, test = ({'image': s['image'], 'label': s[field].astype(np.int32)} for s in (train, test))
    k = data.num_classes(train['label'])
    print(f'training a classifier of {field} on {dataset}', flush=True)
    _, params, accuracy, epochs = train_classifier(train, test, k, epochs)
    save(directory, params, {'dataset': dataset, 'field': field, 'data_version': wanted,
                             'num_classes': k, 'test_accuracy': accuracy,
                             'epochs': epochs, 'image_shape': list(train['image'].shape[1:])})
  return _restore(directory)


def load_cached(dataset, data_dir=None, field='label'):
  """(model, params, info) of the stored classifier for this version of the dataset,
  or None when there is none (nothing is trained)."""
  directory = classifier_dir(dataset, data_dir, field)
  info_path = os.path.join(directory, 'info.json')
  if not os.path.exists(info_path):
    return None
  with open(info_path, encoding='utf-8') as f:
    if json.load(f).get('data_version') != data.version(dataset):
      return None
  return _restore(directory)


def _restore(directory):
  with open(os.path.join(directory, 'info.json'), encoding='utf-8') as f:
    info = json.load(f)
  model = models.Classifier(info['num_classes'])
  abstract = jax.eval_shape(lambda: model.init(
      jax.random.PRNGKey(0), jnp.zeros((1, *info['image_shape'])))['params'])
  with ocp.StandardCheckpointer() as ckpt:
    params = ckpt.restore(os.path.join(os.path.abspath(directory), 'params'), abstract)
  return model, params, info


def for_run(config):
  """load_or_train for the dataset a training run's config names."""
  return load_or_train(config.data.name, config.data.data_dir or None,
                       config.data.manual_dir or None)
