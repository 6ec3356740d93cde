"""ACAI's synthetic lines, generated (no source files)."""

import math

import numpy as np
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.data.line_geometry import line_label, render_line

class Lines(base.ManualDirBuilder, skip_registration=True):
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
