"""synthetic_heads: procedural heads at the paper's seven Multi-PIE views, generated
(no source files). See jsemrep/data/head_geometry.py for the head and its renderer."""

import numpy as np
import tensorflow_datasets as tfds

from jsemrep.data import base
from jsemrep.data import head_geometry

YAWS_DEG = tuple(range(-90, 91, 30))            # the 7 views, labels 0..6
BETWEEN_YAWS_DEG = tuple(range(-75, 76, 30))    # the 6 in-between views of the test heads
SEED = 20201   # identities, splits and light jitter are drawn from it
CHUNK = 4      # images rendered per call (small: the arrays stay in cache, measured fastest)


class SyntheticHeads(base.ManualDirBuilder, skip_registration=True):
  """Procedural heads, 64x64 RGB, at yaw -90..+90 degrees by 30 (labels 0..6: the seven
  Multi-PIE views of the paper), every identity at every view. IDENTITIES heads are
  drawn from SEED and split by identity 80 / 10 / 10 % into train, validation and
  test; `test_between` holds the test heads at the six in-between yaws (-75..+75 by 30),
  label k meaning between views k and k + 1, for scoring interpolants against rendered
  truth. Each example records `identity` and `yaw_deg`; each image its own small light
  change (azimuth and elevation within +-0.15 and +-0.1 rad, intensity 0.9..1.1), so
  viewpoint is not the only thing that varies."""
  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'procedural heads at 7 yaws and 6 in-between yaws.'}
  IDENTITIES = 6000

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, description=self.__doc__,
                                 features=base.features((64, 64, 3), ('identity', 'yaw_deg')),
                                 supervised_keys=('image', 'label'))

  def _split_generators(self, dl_manager):
    order = np.random.default_rng(SEED).permutation(self.IDENTITIES)
    n_train, n_val = int(0.8 * self.IDENTITIES), int(0.1 * self.IDENTITIES)
    ids = {'train': order[:n_train], 'validation': order[n_train:n_train + n_val],
           'test': order[n_train + n_val:]}
    heads = head_geometry.draw_identities(SEED, self.IDENTITIES)
    generators = {name: self._generate_examples(name, heads, np.sort(members), YAWS_DEG)
                  for name, members in ids.items()}
    generators['test_between'] = self._generate_examples(
        'test_between', heads, np.sort(ids['test']), BETWEEN_YAWS_DEG)
    return generators

  def _generate_examples(self, split, heads, identities, yaws_deg):
    identity = np.repeat(identities, len(yaws_deg))
    label = np.tile(np.arange(len(yaws_deg)), len(identities))
    yaw = np.tile(np.asarray(yaws_deg), len(identities))
    rng = np.random.default_rng([SEED, len(split), sum(map(ord, split))])
    light = np.stack([rng.uniform(-0.15, 0.15, len(yaw)), rng.uniform(-0.1, 0.1, len(yaw)),
                      rng.uniform(0.9, 1.1, len(yaw))], -1)
    for start in range(0, len(yaw), CHUNK):
      at = np.minimum(np.arange(start, start + CHUNK), len(yaw) - 1)   # one shape: one compile
      images = head_geometry.render_batch({k: v[identity[at]] for k, v in heads.items()},
                                          np.radians(yaw[at]), light[at])
      for i, image in zip(range(start, min(start + CHUNK, len(yaw))), images):
        yield f'{split}{i}', {'image': image, 'label': int(label[i]),
                              'identity': int(identity[i]), 'yaw_deg': int(yaw[i])}
