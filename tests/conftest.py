"""Shared fixtures. Four CPU devices are simulated for the data-parallel tests;
the flag must be set before JAX is imported.

The suite is compile-bound (hundreds of tiny programs, each compiled once), so:
compiled programs go to a persistent compilation cache shared by the session, its
xdist workers and the programs the tests start (set through the environment), and
XLA's LLVM backend runs without its optimisation passes (`TEST_XLA_FLAGS`: the same
operations and results, compiled faster and run slower; never used outside tests).
"""

import gzip
import os
from unittest import mock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_XLA_FLAGS = '--xla_backend_optimization_level=0'
os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           f' --xla_force_host_platform_device_count=4 {TEST_XLA_FLAGS}').strip()
os.environ.setdefault('JAX_COMPILATION_CACHE_DIR', os.path.join(ROOT, '.pytest_cache', 'jax'))
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES', '0')

import numpy as np  # pylint: disable=wrong-import-position
import pytest  # pylint: disable=wrong-import-position

from train.configs import default  # pylint: disable=wrong-import-position


def program_env(devices=1, **extra):
  """The environment of a program a test starts: `devices` simulated CPU devices, the
  test XLA flags, the repository on the path."""
  return dict(os.environ, PYTHONPATH=ROOT, **extra, XLA_FLAGS=(
      f'--xla_force_host_platform_device_count={devices} {TEST_XLA_FLAGS}'))


def digit_like_images(labels, size=28, seed=0):
  """Synthetic 'digits': a bright bar whose position encodes the class, plus noise."""
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 30, (len(labels), size, size)).astype(np.uint8)
  for i, y in enumerate(labels):
    col = 3 + 2 * int(y)
    images[i, 4:size - 4, col:col + 3] = 255
  return images


def shared_once(tmp_path_factory, name, make):
  """tmp/NAME made once by make(path) for the whole session: in the directory every
  xdist worker shares, the first worker to get there makes it while the others wait,
  then all use it (the fixtures' data, runs and readers are built once, not per worker)."""
  from jsemrep import files  # pylint: disable=import-outside-toplevel
  root = tmp_path_factory.getbasetemp()
  if os.environ.get('PYTEST_XDIST_WORKER'):
    root = root.parent
  path, done = root / name, root / f'{name}.done'
  with files.locked(str(root / f'{name}.lock')):
    if not done.exists():
      path.mkdir(exist_ok=True)
      make(path)
      done.touch()
  return path


def _write_digits(directory):
  labels = np.repeat(np.arange(10), 20)
  images = digit_like_images(labels)
  table = np.concatenate([images.reshape(len(labels), -1), labels[:, None]], axis=1)
  with gzip.open(directory / 'mnist_5k.csv.gz', 'wt') as f:
    np.savetxt(f, table, fmt='%d', delimiter=',')


@pytest.fixture(scope='session')
def mnist5k_dir(tmp_path_factory):
  """A manual dir with a 200-digit mnist_5k.csv.gz (20 per class)."""
  return shared_once(tmp_path_factory, 'mnist5k_manual', _write_digits)


@pytest.fixture(scope='session')
def data_dir(tmp_path_factory):
  """The session's datasets (prepared under their own locks by whichever test needs
  one first) and, beside them, its readers."""
  return shared_once(tmp_path_factory, 'shared_data', lambda path: None) / 'datasets'


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
  return with_overrides(config, **overrides)


def with_overrides(config, **overrides):
  """config with each dotted key set (the test's --config.KEY=VALUE)."""
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


def spec_of(config, image_shape=(32, 32, 1), num_classes=10, circular=False):
  """The RunSpec of a config on data of these facts (without loading any)."""
  from train import resolve  # pylint: disable=import-outside-toplevel
  resolve.validate(config)
  return resolve.complete(config, resolve.DataFacts(tuple(image_shape), num_classes, circular,
                                                    num_examples=140))


def stepper(spec, mesh, stacked=False, **kwargs):
  """(state, step, knobs) of a run of spec on mesh: step(state, data, knobs)."""
  import jax  # pylint: disable=import-outside-toplevel
  from jsemrep import methods, parallel, train_state  # pylint: disable=import-outside-toplevel
  from train import step as step_lib  # pylint: disable=import-outside-toplevel
  bound = methods.bind([spec])
  state = train_state.create_train_state(bound, spec, jax.random.PRNGKey(spec.seed))
  return (parallel.replicate(state, mesh), step_lib.make_step(bound, spec, mesh, stacked, **kwargs),
          parallel.replicate(spec.knobs(bound.terms), mesh))


def _train(config):
  from train import train  # pylint: disable=import-outside-toplevel
  return lambda path: train.train_and_evaluate(config, path / 'run')


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory, data_dir, mnist5k_dir):
  """A tiny atnl run on the 200-digit fixture, trained once per session (4 steps);
  copy it (shutil.copytree) before writing into it."""
  return shared_once(tmp_path_factory, 'tiny_run',
                     _train(tiny_config(data_dir, mnist5k_dir))) / 'run'


@pytest.fixture(scope='session')
def tiny_rotated_run(tmp_path_factory, data_dir, mnist5k_dir):
  """A tiny atnl run on rotated_mnist5k built from the 200-digit fixture (every
  identity at 7 angles), trained once per session."""
  return shared_once(tmp_path_factory, 'tiny_rotated', _train(
      tiny_config(data_dir, mnist5k_dir, **{'data.name': 'rotated_mnist5k'}))) / 'run'


# The readers' models at small widths for the suite (its tests are about mechanics, not
# accuracy): every reader trained in a test's process is quick to compile and to run,
# and is stored with its widths, so the programs the tests start read it as stored.
SMALL_READER_WIDTHS = {'cnn': {'channels': (4, 8), 'features': 16}, 'mlp': {'hidden': (32,)},
                       'autoencoder': {'latent_dim': 8, 'channels': (4, 8, 8), 'hidden': (32, 32)}}


@pytest.fixture(scope='session', autouse=True)
def small_readers():
  from jsemrep.readers import cache  # pylint: disable=import-outside-toplevel
  with mock.patch.dict(cache.WIDTHS, SMALL_READER_WIDTHS):
    yield


def _cache_classifier(data_dir, manual_dir, dataset, field, arch='cnn'):
  from jsemrep import readers  # pylint: disable=import-outside-toplevel
  with mock.patch.object(readers.autoencoder, 'MIN_STEPS', 0):   # 3 epochs of the fixture
    readers.load_or_train(dataset, str(data_dir), str(manual_dir), epochs=1, field=field,
                          arch=arch)


@pytest.fixture(scope='session')
def mnist5k_classifier(data_dir, mnist5k_dir):
  """The fixture's evaluation classifier, cached beside the session's datasets where
  every run on them finds it; one epoch: the tests are about mechanics, not accuracy."""
  _cache_classifier(data_dir, mnist5k_dir, 'mnist5k', 'label')


@pytest.fixture(scope='session')
def mnist5k_readers(mnist5k_classifier, data_dir, mnist5k_dir):
  """The evaluation classifier and the second reader: with both cached, what an
  evaluation reads does not depend on which other test has cached the second first."""
  _cache_classifier(data_dir, mnist5k_dir, 'mnist5k', 'label', arch='mlp')


@pytest.fixture(scope='session')
def rotated_classifiers(data_dir, mnist5k_dir):
  """rotated_mnist5k's angle and digit classifiers and its identity reader, cached likewise."""
  for field in ('label', 'digit', 'identity'):
    _cache_classifier(data_dir, mnist5k_dir, 'rotated_mnist5k', field)
