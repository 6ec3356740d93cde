"""python -m eval.interpolate --workdir=DIR [--split=test|validation]: ordinal
interpolation accuracy, monotone and visits fractions (docs/evaluation.md) for lerp
and slerp, direct and semantic paths, scored by the evaluation classifier, with every
path's raw result in the JSON; on test also a figure of direct lerp, direct slerp and
semantic slerp decodes."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os

from absl import flags
import jax.numpy as jnp
import numpy as np

from eval import common
from jsemrep import classifier as classifier_lib
from jsemrep import data
from jsemrep import inference
from jsemrep import plots
from jsemrep import sphere
from jsemrep.metrics import interpolation

FLAGS = flags.FLAGS
flags.DEFINE_integer('images_per_class_step', 3, 'Images per unit of class distance (odd: no image '
                     'falls exactly halfway between two classes, where the expected class ties).')
flags.DEFINE_integer('seed', 0, 'Which images start and end the paths; independent of the '
                     'training seed, so runs evaluated with one seed share their paths.')
flags.DEFINE_enum('split', 'test', ['test', 'validation'],
                  'Split to score: choose settings on validation, report test.')
flags.DEFINE_integer('paths_per_class_pair', 5, 'Test-image pairs per ordered class pair.')


FIGURE_IMAGES_PER_CLASS_STEP = 2


def example_pairs(num_classes):
  """A few (start, end) class pairs, far apart so that the path crosses classes."""
  k = num_classes
  pairs = [(0, k - 1), (1, k - 2), (k - 1, 1)]
  return [p for i, p in enumerate(pairs) if p[0] != p[1] and p not in pairs[:i]]


def interpolation_rows(config, model, params, prototypes, test, pairs, per_step, seed):
  k = config.data.num_classes
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


def result_name(split):
  """interpolate.json for test, interpolate_validation.json for validation."""
  return 'interpolate' if split == 'test' else f'interpolate_{split}'


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, scored = data.load_split(config, 'train'), data.load_split(config, FLAGS.split)
  k = config.data.num_classes
  circular = bool(config.data.get('circular', False))
  prototypes = inference.class_prototypes(model, params, train['image'], train['label'], k)
  clf_model, clf_params, clf_info = classifier_lib.for_run(config)
  classify = lambda images: classifier_lib.predict(clf_model, clf_params, images)[0]
  decode = lambda z: inference.to_images(inference.decode(model, params, z),
                                         config.loss.reconstruction)
  scores, raw = interpolation.ordinal_study(
      inference.encode(model, params, scored['image']), scored['label'], prototypes, decode,
      classify, FLAGS.images_per_class_step, FLAGS.paths_per_class_pair, FLAGS.seed, circular)
  result = {'step': step, 'split': FLAGS.split, 'pairs_seed': FLAGS.seed,
            **common.run_fields(config),
            'images_per_class_step': FLAGS.images_per_class_step,
            'classifier_test_accuracy': clf_info['test_accuracy'], 'scores': scores}
  if FLAGS.split == 'test':
    pairs = example_pairs(k)
    rows, angles = interpolation_rows(config, model, params, prototypes, scored, pairs,
                                      FIGURE_IMAGES_PER_CLASS_STEP, FLAGS.seed)
    figure = os.path.join(common.eval_dir(FLAGS.workdir), 'interpolate.png')
    plots.image_rows(rows, figure, f'{config.method} on {config.data.name}, step {step}')
    result.update(pairs=pairs, adjacent_prototype_angles_deg=angles, figure=figure)
  path = common.write_json(FLAGS.workdir, result_name(FLAGS.split), {**result, 'paths': raw})
  for name, score in scores.items():
    print(f'{name:15s} accuracy {score["accuracy"]:.3f}  monotone {score["monotone"]:.3f}  '
          f'visits {score["visits"]:.3f}')
  print(f'({FLAGS.split} split; classifier test accuracy {clf_info["test_accuracy"]:.3f}); '
        f'wrote {path}')


if __name__ == '__main__':
  common.run(main)
