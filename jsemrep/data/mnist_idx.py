"""MNIST and Fashion-MNIST from their IDX files (canonical URLs or a manual directory)."""

import os
import pathlib

import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from jsemrep.errors import DataError, MissingDataError

IDX_FILES = {
    'train_images': 'train-images-idx3-ubyte',
    'train_labels': 'train-labels-idx1-ubyte',
    'test_images': 't10k-images-idx3-ubyte',
    'test_labels': 't10k-labels-idx1-ubyte',
}
FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'


def _find_idx(directory, stem):
  for name in (stem + '.gz', stem, stem.replace('-idx', '.idx')):
    path = pathlib.Path(directory) / name
    if path.exists():
      return path
  raise MissingDataError(
      f'{directory}: no {stem}.gz (or {stem}) here; the manual directory must hold '
      f'the four IDX files {", ".join(IDX_FILES.values())}')


class _IdxBuilder(base.ManualDirBuilder, skip_registration=True):
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
                                 features=base.features((32, 32, 1)),
                                 supervised_keys=('image', 'label'))

  def _source_paths(self, dl_manager):
    manual = self.manual_dir
    if manual is None and self.DEFAULT_MANUAL_DIR and os.path.isdir(self.DEFAULT_MANUAL_DIR):
      manual = self.DEFAULT_MANUAL_DIR
    if manual is not None:
      directory = base.require_directory(os.fspath(manual), self.name)
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
      base.check_labels(labels, self.NUM_CLASSES, paths[f'{split}_labels'])
      parts[split] = (base.resize(images, 32), labels)
    images, labels = parts['train']
    train, validation = base.carve_validation(labels)
    return {'train': self._generate_examples(images[train], labels[train]),
            'validation': self._generate_examples(images[validation], labels[validation]),
            'test': self._generate_examples(*parts['test'])}

  def _generate_examples(self, images, labels):
    yield from base.examples(images, labels)


class Mnist(_IdxBuilder, skip_registration=True):
  """MNIST digits (LeCun et al.), 60,000 train / 10,000 test, resized to 32x32."""
  URL = 'https://storage.googleapis.com/cvdf-datasets/mnist/'


class FashionMnist(_IdxBuilder, skip_registration=True):
  """Fashion-MNIST (Xiao et al. 2017), 60,000 / 10,000, resized to 32x32; read from
  Debian's dataset-fashion-mnist directory when it is installed."""
  URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
  DEFAULT_MANUAL_DIR = FASHION_MNIST_DEBIAN_DIR
