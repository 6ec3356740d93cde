"""What every dataset builder shares: the split versions, the manual-directory base
class, the uint8 features, resizing, stratified splits and label checks.

Every dataset has train / validation / test splits. Where the source has no
validation split, it is carved from the source's training part: deterministic,
stratified by class, VALIDATION_FRACTION of it (versions 1.1.0). Settings are
chosen on validation; test is scored for reported results (docs/evaluation.md).
"""

import os
import pathlib

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.errors import DataError, MissingDataError

VALIDATION_FRACTION = 0.1
VALIDATION_SEED = 1   # the seed of the carve; 0 drew mnist5k's test split
DATASET_VERSION = '1.1.0'
RELEASE_NOTES = {'1.0.0': 'train and test splits.',
                 '1.1.0': 'a validation split, carved from train where the source has none.'}
IDENTITY_VERSION = '1.2.0'   # datasets with an identity per example (viewpoint editing)
IDENTITY_RELEASE_NOTES = {**RELEASE_NOTES,
                          IDENTITY_VERSION: 'an `identity` field per example (which source '
                          'digit / subject it shows), splits by identity.'}


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


def features(shape, extra_ints=()):
  """image (uint8) and label, plus one int64 scalar per name in `extra_ints`."""
  return tfds.features.FeaturesDict({
      'image': tfds.features.Tensor(shape=shape, dtype=np.uint8),
      'label': tfds.features.Tensor(shape=(), dtype=np.int64),
      **{name: tfds.features.Tensor(shape=(), dtype=np.int64) for name in extra_ints},
  })


def resize(images, size):
  """Bilinear resize of a (N, H, W) or (N, H, W, C) uint8 stack to size x size."""
  out = [np.asarray(Image.fromarray(im).resize((size, size), Image.BILINEAR)) for im in images]
  return np.stack(out).astype(np.uint8)


def examples(images, labels, **extra_ints):
  """(key, example) pairs; `extra_ints` are per-example integer arrays (identity ...)."""
  images = images if images.ndim == 4 else images[..., None]
  for i, (image, label) in enumerate(zip(images, labels)):
    yield i, {'image': image, 'label': int(label),
              **{name: int(values[i]) for name, values in extra_ints.items()}}


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
