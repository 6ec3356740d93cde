"""python -m eval.interpolate --workdir=DIR: figure of direct lerp, direct slerp and
semantic slerp decodes between test images of a few class pairs."""

import os

from absl import app
from absl import flags
import jax.numpy as jnp
import numpy as np

from eval import common
from jsemrep import inference
from jsemrep import plots
from jsemrep import sphere

FLAGS = flags.FLAGS
flags.DEFINE_integer('images_per_class_step', 2, 'Images per unit of class distance.')
flags.DEFINE_integer('seed', 0, 'Which test images start and end the paths.')


def example_pairs(num_classes):
  """A few (start, end) class pairs, far apart so that the path crosses classes."""
  k = num_classes
  pairs = [(0, k - 1), (1, k - 2), (k - 1, 1)]
  return [p for i, p in enumerate(pairs) if p[0] != p[1] and p not in pairs[:i]]


def interpolation_rows(config, model, params, train, test, pairs, per_step, seed):
  k = config.data.num_classes
  prototypes = sphere.class_prototypes(
      jnp.asarray(inference.encode(model, params, train['image'])), train['label'], k)
  rng = np.random.default_rng(seed)
  starts = [rng.choice(np.flatnonzero(test['label'] == i)) for i, _ in pairs]
  ends = [rng.choice(np.flatnonzero(test['label'] == j)) for _, j in pairs]
  z = inference.encode(model, params, test['image'][np.array(starts + ends)])
  z1, z2 = jnp.asarray(z[:len(pairs)]), jnp.asarray(z[len(pairs):])
  y1 = jnp.array([i for i, _ in pairs])
  y2 = jnp.array([j for _, j in pairs])
  ts = sphere.path_ts(per_step * max(abs(j - i) for i, j in pairs) + 1)
  paths = {
      'direct lerp': sphere.direct_paths_batch(z1, z2, ts, 'lerp'),
      'direct slerp': sphere.direct_paths_batch(z1, z2, ts, 'slerp'),
      'semantic slerp': sphere.semantic_paths_batch(z1, z2, y1, y2, prototypes, ts, 'slerp'),
  }
  images = {name: inference.to_images(inference.decode(model, params, np.asarray(p)),
                                      config.loss.reconstruction) for name, p in paths.items()}
  rows = []
  for p, (i, j) in enumerate(pairs):
    rows += [(f'{i}→{j} {name}', images[name][p]) for name in paths]
  angles = [float(np.degrees(sphere.angle(prototypes[c], prototypes[c + 1]))) for c in range(k - 1)]
  return rows, angles


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, test = common.load_split(config, 'train'), common.load_split(config, 'test')
  pairs = example_pairs(config.data.num_classes)
  rows, angles = interpolation_rows(config, model, params, train, test, pairs,
                                    FLAGS.images_per_class_step, FLAGS.seed)
  figure = os.path.join(common.eval_dir(FLAGS.workdir), 'interpolate.png')
  plots.image_rows(rows, figure, f'{config.method} on {config.data.name}, step {step}')
  path = common.write_json(FLAGS.workdir, 'interpolate', {
      'step': step, 'method': config.method, 'dataset': config.data.name, 'pairs': pairs,
      'adjacent_prototype_angles_deg': angles, 'figure': figure})
  print(f'wrote {figure} and {path}')


if __name__ == '__main__':
  app.run(main)
