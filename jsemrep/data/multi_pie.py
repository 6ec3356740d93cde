"""Multi-PIE faces from a manual directory of viewpoint folders (licensed data)."""

import pathlib
import re

import numpy as np
from PIL import Image
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.errors import DataError, MissingDataError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.ppm', '.pgm')

# Multi-PIE's own file names: SUBJECT_SESSION_RECORDING_CAMERA_ILLUMINATION, e.g.
# 001_01_01_051_07.png is subject 1, session 1, recording 1, camera 05_1, flash 7.
MULTI_PIE_NAME = re.compile(r'^(\d+)_\d+_\d+_\d+_\d+$')
NO_IDENTITY = -1


def subject_id(path):
  """The subject of a file named as Multi-PIE names its images, else NO_IDENTITY."""
  match = MULTI_PIE_NAME.match(pathlib.Path(path).stem)
  return int(match.group(1)) if match else NO_IDENTITY


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


def split_of_subjects(subjects):
  """{subject: split}: every 5th subject (in id order) to test, every 10th of the
  others to validation, so no face is in two splits."""
  ordered = sorted(subjects)
  rest = [s for i, s in enumerate(ordered) if i % 5 != 4]
  split = {s: 'train' for s in rest}
  split.update({s: 'test' for s in ordered[4::5]})
  split.update({s: 'validation' for s in rest[9::10]})
  return split


class MultiPie(base.ManualDirBuilder, skip_registration=True):
  """Multi-PIE faces (licensed; manual only): a folder per viewpoint, named by its
  angle so that numeric order is the semantic order; images resized to 64x64 RGB,
  label = the viewpoint's index.

  When every file keeps Multi-PIE's own name (SUBJECT_SESSION_RECORDING_CAMERA_
  ILLUMINATION, e.g. 001_01_01_051_07.png), `identity` is the subject id and the
  splits are by subject (every 5th subject test, every 10th of the others
  validation), so viewpoint editing is scored on unseen faces. Otherwise `identity`
  is -1 and every 5th image of a viewpoint goes to test, every 10th of the others to
  validation.
  """
  VERSION = tfds.core.Version(base.IDENTITY_VERSION)
  RELEASE_NOTES = base.IDENTITY_RELEASE_NOTES
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      'Put one folder per viewpoint (named by angle, e.g. -90 ... 90) of face images '
      'in a directory and pass it as --config.data.manual_dir. Keep Multi-PIE\'s file '
      'names (001_01_01_051_07.png: subject 001) to get identities.')

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=base.features((64, 64, 3), ('identity',)),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    del dl_manager
    directory = base.require_directory(self.manual_dir, 'multi_pie')
    per_view = []
    for folder in viewpoint_folders(directory):
      images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
      if not images:
        raise MissingDataError(f'multi_pie: viewpoint folder {folder} holds no images '
                                f'({", ".join(IMAGE_SUFFIXES)})')
      per_view.append(images)
    named = [subject_id(p) != NO_IDENTITY for images in per_view for p in images]
    if any(named) and not all(named):
      odd = next(p for images in per_view for p in images if subject_id(p) == NO_IDENTITY)
      raise DataError(f'multi_pie: {odd} is not named as Multi-PIE names its images '
                      '(SUBJECT_SESSION_RECORDING_CAMERA_ILLUMINATION, e.g. 001_01_01_051_07.png) '
                      'while others are; name all files so, or none')
    files = {'train': [], 'validation': [], 'test': []}
    if all(named):
      subject_split = split_of_subjects({subject_id(p) for images in per_view for p in images})
      for label, images in enumerate(per_view):
        for path in images:
          files[subject_split[subject_id(path)]].append((path, label))
    else:
      for label, images in enumerate(per_view):
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
      yield str(path), {'image': np.asarray(image, np.uint8), 'label': label,
                        'identity': subject_id(path)}
