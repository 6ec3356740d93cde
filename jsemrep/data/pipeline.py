"""Datasets into memory, and the deterministic batch order of training."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import tensorflow_datasets as tfds

from jsemrep.data.builders import BUILDERS

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser('~'), '.cache', 'jsemrep', 'datasets')


def data_dir_or_default(data_dir=None):
  return data_dir or os.environ.get('JSEMREP_DATA_DIR') or DEFAULT_DATA_DIR


def builder(name, data_dir=None):
  if name not in BUILDERS:
    raise ValueError(f'unknown dataset {name!r}; known: {", ".join(sorted(BUILDERS))}')
  return BUILDERS[name](data_dir=data_dir_or_default(data_dir), file_format='array_record')


def prepare(name, data_dir=None, manual_dir=None):
  """Builds the dataset's array_record files once (reused afterwards)."""
  b = builder(name, data_dir)
  b.manual_dir = os.path.abspath(manual_dir) if manual_dir else None
  b.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  return b


def load(name, split, data_dir=None, manual_dir=None):
  """All examples of a split as numpy arrays: image (N, H, W, C) uint8, label (N,) int32."""
  source = prepare(name, data_dir, manual_dir).as_data_source(split=split)
  examples = source.__getitems__(range(len(source)))
  arrays = {k: np.stack([e[k] for e in examples]) for k in examples[0]}
  arrays['label'] = arrays['label'].astype(np.int32)
  return arrays


def load_split(config, split):
  """`load` of the dataset a training config names."""
  return load(config.data.name, split, config.data.data_dir or None,
              config.data.manual_dir or None)


def num_classes(labels):
  return int(np.max(labels)) + 1


def epoch_permutation(seed, epoch, n):
  return jax.random.permutation(jax.random.fold_in(jax.random.PRNGKey(seed), epoch), n)


def batch_indices(seed, step, n, batch_size):
  """Dataset indices of the global batch at `step`: a fresh permutation of the n
  examples per (seed, epoch), the last partial batch of an epoch dropped. Pure and
  jittable, so a resumed run sees exactly the batches of an uninterrupted one."""
  steps_per_epoch = n // batch_size
  epoch, position = jnp.divmod(step, steps_per_epoch)
  perm = epoch_permutation(seed, epoch, n)
  return jax.lax.dynamic_slice(perm, (position * batch_size,), (batch_size,))


def to_float(images):
  """uint8 images -> float32 in [0, 1]."""
  return images.astype(jnp.float32) / 255.0
