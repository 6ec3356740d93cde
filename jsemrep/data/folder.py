"""Your own ordered images: one folder per class below a directory (`folder`).

The classes are ordered numerically when every folder name is a number (-90 ... 90, 0 15
30), else in the order given (`classes`). Images are read as found (grayscale stays one
channel, colour three), resized with antialiasing to `image_size` where given; without
it they must all have one size. An optional `identity` pattern (a regular expression with
one group, matched against each file name without its extension) names who or what an
image shows: the splits are then by identity (no identity in two splits) and the paired
and split-latent methods can train; without it the splits are stratified by class.
Every split is drawn by a fixed seed and recorded with the prepared files.
"""

import dataclasses
import hashlib
import json
import re
from typing import Tuple

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.errors import ConfigError, DataError, MissingDataError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp')
TEST_FRACTION = 0.2     # of each class (or of the identities), then validation of the rest
SPLIT_SEED = 0
NO_IDENTITY = -1


@dataclasses.dataclass(frozen=True)
class FolderOptions:
  """How a folder of class folders becomes a dataset."""
  classes: Tuple[str, ...] = ()        # the class order; () when the names are numbers
  identity: str = ''                   # a regex with one group over file stems, or ''
  image_size: Tuple[int, ...] = ()     # (height, width) to resize to, or () to keep

  def key(self):
    """A short name of these options: prepared files and readers are kept per key."""
    text = json.dumps(dataclasses.asdict(self), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def class_folders(directory, classes=()):
  """The class folders of `directory` in their semantic order; ConfigError (one line)
  where non-numeric names are given no order, or the order names a missing folder."""
  directory = base.require_directory(directory, 'folder')
  folders = {p.name: p for p in directory.iterdir() if p.is_dir() and not p.name.startswith('.')}
  if len(folders) < 2:
    raise MissingDataError(f'folder: {directory} must hold one folder per class (at least two, '
                           f'e.g. 0/ 15/ 30/); found {len(folders)}')
  if classes:
    missing = [c for c in classes if c not in folders]
    if missing:
      raise ConfigError(f'config data.classes names {", ".join(missing)}, which {directory} does '
                        f'not hold (its folders: {", ".join(sorted(folders))})')
    extra = sorted(set(folders) - set(classes))
    if extra:
      raise ConfigError(f'config data.classes leaves out the folders {", ".join(extra)} of '
                        f'{directory}: list every class in its order')
    return [folders[c] for c in classes]
  try:
    return [folders[n] for n in sorted(folders, key=float)]
  except ValueError:
    raise ConfigError(f'the class folders of {directory} ({", ".join(sorted(folders))}) are not '
                      'all numbers, so their order is not known: give it as '
                      f'--config.data.classes={",".join(sorted(folders))} in the semantic '
                      'order') from None


def _identity_of(pattern, path):
  match = re.search(pattern, path.stem)
  if not match:
    raise DataError(f'folder: the file name {path.name} does not match the identity pattern '
                    f'{pattern!r}')
  return match.group(1)


def _read(path, size):
  try:
    with Image.open(path) as image:
      image.load()
      mode = 'L' if image.mode in ('1', 'L', 'I;16', 'I', 'F', 'LA') else 'RGB'
      image = image.convert(mode)
      if size:
        image = image.resize((size[1], size[0]), Image.LANCZOS)
      array = np.asarray(image, np.uint8)
  except (OSError, ValueError) as e:
    raise DataError(f'folder: {path} is not a readable image ({e})') from e
  return array[..., None] if array.ndim == 2 else array


def split_indices(labels, identities, seed=SPLIT_SEED):
  """{split: indices}: by identity where there are identities (TEST_FRACTION of them to
  test, as much of the rest to validation), else stratified by class."""
  if identities is not None:
    names = sorted(set(identities))
    order = np.random.default_rng(seed).permutation(len(names))
    n_test = max(1, int(round(len(names) * TEST_FRACTION)))
    test = {names[i] for i in order[:n_test]}
    validation = {names[i] for i in order[n_test:2 * n_test]}
    part = np.array(['test' if i in test else 'validation' if i in validation else 'train'
                     for i in identities])
    return {s: np.flatnonzero(part == s) for s in ('train', 'validation', 'test')}
  rest, test = base.stratified_split(labels, TEST_FRACTION, seed)
  train, validation = base.stratified_split(labels[rest], TEST_FRACTION, seed + 1)
  return {'train': rest[train], 'validation': rest[validation], 'test': test}


class Folder(base.ManualDirBuilder, skip_registration=True):
  """Ordered class folders of your own images (manual only): --config.data.name=folder
  --config.data.manual_dir=DIR, with data.classes, data.identity, data.image_size."""
  VERSION = tfds.core.Version(base.IDENTITY_VERSION)
  RELEASE_NOTES = base.IDENTITY_RELEASE_NOTES
  MANUAL_DOWNLOAD_INSTRUCTIONS = 'Pass a directory of one folder per class as data.manual_dir.'
  options = FolderOptions()
  source = None   # the directory of class folders (set per builder, folder_builder)

  def _scan(self):
    """(paths, labels, identity names or None) of every image, in class order."""
    folders = class_folders(self.source, self.options.classes)
    paths, labels = [], []
    for label, folder in enumerate(folders):
      found = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith('.'))
      odd = [p for p in found if p.suffix.lower() not in IMAGE_SUFFIXES]
      if odd:
        raise DataError(f'folder: {odd[0]} is not an image file ({", ".join(IMAGE_SUFFIXES)})')
      if not found:
        raise MissingDataError(f'folder: the class folder {folder} holds no images')
      paths += found
      labels += [label] * len(found)
    identities = ([_identity_of(self.options.identity, p) for p in paths]
                  if self.options.identity else None)
    return paths, np.asarray(labels), identities

  def _shape(self, paths):
    if self.options.image_size:
      first = _read(paths[0], self.options.image_size)
      return first.shape
    shapes = {}
    for path in paths:
      try:
        with Image.open(path) as image:
          shapes.setdefault(image.size, path)
      except (OSError, ValueError) as e:
        raise DataError(f'folder: {path} is not a readable image ({e})') from e
    if len(shapes) > 1:
      (a, pa), (b, pb) = list(shapes.items())[:2]
      raise DataError(f'folder: images of several sizes ({pa.name} is {a[0]}x{a[1]}, {pb.name} '
                      f'is {b[0]}x{b[1]}): give --config.data.image_size=H,W to resize them')
    return _read(paths[0], ()).shape

  def _info(self):
    paths, _, _ = self._scan()
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=base.features(self._shape(paths), ('identity',)),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    paths, labels, identities = self._scan()
    parts = split_indices(labels, identities)
    for split, idx in parts.items():
      missing = sorted(set(range(int(labels.max()) + 1)) - set(labels[idx].tolist()))
      if missing:
        raise DataError(f'folder: class {missing[0]} has too few images for the splits (its '
                        f'{split} split is empty; each class needs at least 5 images, or 3 '
                        'identities with an identity pattern)')
    numbers = {name: i for i, name in enumerate(sorted(set(identities or ())))}
    return {split: self._generate_examples(
        [(paths[i], int(labels[i]), numbers[identities[i]] if identities else NO_IDENTITY)
         for i in idx]) for split, idx in parts.items()}

  def _generate_examples(self, items):
    shape = self.info.features['image'].shape
    for path, label, identity in items:
      image = _read(path, self.options.image_size)
      if image.shape != tuple(shape):
        raise DataError(f'folder: {path} is {image.shape[1]}x{image.shape[0]} with '
                        f'{image.shape[2]} channel(s), not {shape[1]}x{shape[0]}x{shape[2]} '
                        'like the others: give --config.data.image_size=H,W, or convert it')
      yield str(path), {'image': image, 'label': label, 'identity': identity}


def folder_builder(options, source):
  """The Folder builder class of `options` reading `source`, its prepared files kept
  apart per options (the source's content is recorded and checked like any other's)."""
  name = f'folder_{options.key()}'
  return type(name, (Folder,), {'options': options, 'name': name, '__module__': __name__,
                                'source': source}, skip_registration=True)
