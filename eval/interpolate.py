"""python -m eval.interpolate --workdir=DIR: ordinal interpolation accuracy (DESIGN §5)
for lerp and slerp, direct and semantic paths, scored by the evaluation classifier,
and a figure of direct lerp, direct slerp and semantic slerp decodes."""

import os

from absl import app
from absl import flags
import jax.numpy as jnp
import numpy as np

from eval import classifier as classifier_lib
from eval import common
from jsemrep import data
from jsemrep import inference
from jsemrep import plots
from jsemrep import runtime
from jsemrep import sphere
from jsemrep.metrics import interpolation

FLAGS = flags.FLAGS
flags.DEFINE_integer('images_per_class_step', 3, 'Images per unit of class distance (odd: no image '
                     'falls exactly halfway between two classes, where the expected class ties).')
flags.DEFINE_integer('seed', 0, 'Which test images start and end the paths.')
flags.DEFINE_integer('paths_per_class_pair', 5, 'Test-image pairs per ordered class pair.')


FIGURE_IMAGES_PER_CLASS_STEP = 2


def example_pairs(num_classes):
  """A few (start, end) class pairs, far apart so that the path crosses classes."""
  k = num_classes
  pairs = [(0, k - 1), (1, k - 2), (k - 1, 1)]
  return [p for i, p in enumerate(pairs) if p[0] != p[1] and p not in pairs[:i]]


def prototypes_of(model, params, train, num_classes):
  z = jnp.asarray(inference.encode(model, params, train['image']))
  return sphere.class_prototypes(z, train['label'], num_classes)


def paths(kind, interp, z1, z2, y1, y2, prototypes, ts):
  if kind == 'direct':
    return sphere.direct_paths_batch(z1, z2, ts, interp)
  return sphere.semantic_paths_batch(z1, z2, y1, y2, prototypes, ts, interp)


def ordinal_accuracy(z_test, labels, prototypes, decode, classify, per_step, per_pair, seed):
  """{'{interp}_{kind}': {'accuracy', 'monotone'}} over all ordered class pairs,
  `per_pair` test-code pairs each, `per_step` images per unit of class distance.

  decode: codes (N, d) -> images; classify: images -> labels (N,).
  """
  k = prototypes.shape[0]
  rng = np.random.default_rng(seed)
  by_class = [np.flatnonzero(labels == c) for c in range(k)]
  totals = {}
  for distance in range(1, k):
    pairs = [(i, j) for i in range(k) for j in range(k) if abs(i - j) == distance]
    starts = np.array([rng.choice(by_class[i]) for i, _ in pairs for _ in range(per_pair)])
    ends = np.array([rng.choice(by_class[j]) for _, j in pairs for _ in range(per_pair)])
    y1 = jnp.array([i for i, _ in pairs for _ in range(per_pair)])
    y2 = jnp.array([j for _, j in pairs for _ in range(per_pair)])
    ts = sphere.path_ts(per_step * distance + 1)
    for interp in ('lerp', 'slerp'):
      for kind in ('direct', 'semantic'):
        z = paths(kind, interp, jnp.asarray(z_test[starts]), jnp.asarray(z_test[ends]), y1, y2,
                  prototypes, ts)
        flat = np.asarray(z).reshape(-1, z.shape[-1])
        predicted = np.asarray(classify(decode(flat))).reshape(z.shape[:2])
        accuracy, monotone = interpolation.ordinal_scores(jnp.asarray(predicted), y1, y2, ts)
        t = totals.setdefault(f'{interp}_{kind}', np.zeros(4))
        t += [float(accuracy) * predicted.size, predicted.size,
              float(monotone) * len(predicted), len(predicted)]
  return {name: {'accuracy': t[0] / t[1], 'monotone': t[2] / t[3], 'images': int(t[1]),
                 'paths': int(t[3])} for name, t in totals.items()}


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


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, test = data.load_split(config, 'train'), data.load_split(config, 'test')
  pairs = example_pairs(config.data.num_classes)
  prototypes = prototypes_of(model, params, train, config.data.num_classes)
  rows, angles = interpolation_rows(config, model, params, prototypes, test, pairs,
                                    FIGURE_IMAGES_PER_CLASS_STEP, FLAGS.seed)
  clf_model, clf_params, clf_info = classifier_lib.for_run(config)
  classify = lambda images: classifier_lib.predict(clf_model, clf_params, images)[0]
  decode = lambda z: inference.to_images(inference.decode(model, params, z),
                                         config.loss.reconstruction)
  scores = ordinal_accuracy(inference.encode(model, params, test['image']), test['label'],
                            prototypes, decode, classify, FLAGS.images_per_class_step,
                            FLAGS.paths_per_class_pair, FLAGS.seed)
  figure = os.path.join(common.eval_dir(FLAGS.workdir), 'interpolate.png')
  plots.image_rows(rows, figure, f'{config.method} on {config.data.name}, step {step}')
  path = common.write_json(FLAGS.workdir, 'interpolate', {
      'step': step, 'method': config.method, 'dataset': config.data.name, 'pairs': pairs,
      'adjacent_prototype_angles_deg': angles, 'figure': figure,
      'images_per_class_step': FLAGS.images_per_class_step,
      'classifier_test_accuracy': clf_info['test_accuracy'], 'scores': scores})
  for name, score in scores.items():
    print(f'{name:15s} accuracy {score["accuracy"]:.3f}  monotone {score["monotone"]:.3f}')
  print(f'(classifier test accuracy {clf_info["test_accuracy"]:.3f}); wrote {figure} and {path}')


if __name__ == '__main__':
  runtime.reexec_with_huge_pages()
  app.run(main)
