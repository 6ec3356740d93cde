"""Shared fixtures. Four CPU devices are simulated for the data-parallel tests;
the flag must be set before JAX is imported."""

import gzip
import os

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           ' --xla_force_host_platform_device_count=4').strip()

import numpy as np  # pylint: disable=wrong-import-position
import pytest  # pylint: disable=wrong-import-position

from train.configs import default  # pylint: disable=wrong-import-position


def digit_like_images(labels, size=28, seed=0):
  """Synthetic 'digits': a bright bar whose position encodes the class, plus noise."""
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 30, (len(labels), size, size)).astype(np.uint8)
  for i, y in enumerate(labels):
    col = 3 + 2 * int(y)
    images[i, 4:size - 4, col:col + 3] = 255
  return images


@pytest.fixture(scope='session')
def mnist5k_dir(tmp_path_factory):
  """A manual dir with a 200-digit mnist_5k.csv.gz (20 per class)."""
  directory = tmp_path_factory.mktemp('mnist5k_manual')
  labels = np.repeat(np.arange(10), 20)
  images = digit_like_images(labels)
  table = np.concatenate([images.reshape(len(labels), -1), labels[:, None]], axis=1)
  with gzip.open(directory / 'mnist_5k.csv.gz', 'wt') as f:
    np.savetxt(f, table, fmt='%d', delimiter=',')
  return directory


@pytest.fixture(scope='session')
def data_dir(tmp_path_factory):
  return tmp_path_factory.mktemp('datasets')


def tiny_config(data_dir, manual_dir, **overrides):
  """A small atnl config on the 200-digit fixture: fast to compile and run."""
  config = default.get_config()
  config.data.name = 'mnist5k'
  config.data.data_dir = str(data_dir)
  config.data.manual_dir = str(manual_dir)
  config.model.latent_dim = 8
  config.model.channels = (4, 8, 8)
  config.model.hidden = (16, 16)
  config.batch_size = 16
  config.num_steps = 4
  config.log_every = 2
  config.checkpoint_every = 2
  for key, value in overrides.items():
    target = config
    *path, last = key.split('.')
    for part in path:
      target = target[part]
    target[last] = value
  return config


@pytest.fixture
def make_config(data_dir, mnist5k_dir):
  return lambda **overrides: tiny_config(data_dir, mnist5k_dir, **overrides)
