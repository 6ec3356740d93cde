"""Multi-PIE faces from a manual directory of viewpoint folders (licensed data)."""

import pathlib

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.errors import DataError, MissingDataError

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


class MultiPie(base.ManualDirBuilder, skip_registration=True):
  """Multi-PIE faces (licensed; manual only): a folder per viewpoint, named by its
  angle so that numeric order is the semantic order; images resized to 64x64 RGB,
  label = the viewpoint's index. Every 5th image of a viewpoint goes to test, every
  10th of the others to validation."""
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      'Put one folder per viewpoint (named by angle, e.g. -90 ... 90) of face images '
      'in a directory and pass it as --config.data.manual_dir.')

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=base.features((64, 64, 3)),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    directory = base.require_directory(self.manual_dir, 'multi_pie')
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
