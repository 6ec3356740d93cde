"""`interpolate`: ordinal interpolation accuracy, monotone and visits fractions
(docs/evaluation.md) of lerp and slerp, direct and semantic paths between encoded
images of the split, scored by the evaluation classifier; every path's raw result is
kept. With a figure directory, on test: interpolate.png, direct lerp, direct slerp and
semantic slerp decodes of a few far-apart class pairs.
`interpolate_small`: one path per class pair, for evaluation while training."""

import os

import jax.numpy as jnp
import numpy as np

from jsemrep import readers
from jsemrep import plots
from jsemrep import runs
from jsemrep import split as split_lib
from jsemrep import sphere
from jsemrep.evaluators import prototype_angles
from jsemrep.evaluators.base import Column, Evaluator, Result, reader_gate
from jsemrep.metrics import interpolation

FIGURE_IMAGES_PER_CLASS_STEP = 2
TITLES = {'accuracy': 'acc.', 'monotone': 'monotone', 'visits': 'visits'}


def example_pairs(num_classes):
  """A few (start, end) class pairs, far apart so that the path crosses classes."""
  k = num_classes
  pairs = [(0, k - 1), (1, k - 2), (k - 1, 1)]
  return [p for i, p in enumerate(pairs) if p[0] != p[1] and p not in pairs[:i]]


def figure_rows(run, split, pairs, per_step, seed):
  """(title, images) rows of direct lerp, direct slerp and semantic slerp decodes."""
  rng = np.random.default_rng(seed)
  labels = split['label']
  starts = [rng.choice(np.flatnonzero(labels == i)) for i, _ in pairs]
  ends = [rng.choice(np.flatnonzero(labels == j)) for _, j in pairs]
  z = run.encode(split['image'][np.array(starts + ends)], labels[np.array(starts + ends)])
  z1, z2 = jnp.asarray(z[:len(pairs)]), jnp.asarray(z[len(pairs):])
  y1, y2 = jnp.array([i for i, _ in pairs]), jnp.array([j for _, j in pairs])
  distance = max(abs(int(sphere.class_step(i, j, run.circular, run.num_classes))) for i, j in pairs)
  ts = sphere.path_ts(per_step * distance + 1)
  dims = run.semantic_dims
  paths = {
      'direct lerp': split_lib.direct_paths(z1, z2, ts, 'lerp', dims),
      'direct slerp': split_lib.direct_paths(z1, z2, ts, 'slerp', dims),
      'semantic slerp': split_lib.semantic_paths(z1, z2, y1, y2, run.prototypes(), ts, 'slerp',
                                                 run.circular, dims),
  }
  images = {name: run.decode(np.asarray(p)) for name, p in paths.items()}
  return [(f'{i}→{j} {name}', images[name][p]) for p, (i, j) in enumerate(pairs) for name in paths]


def evaluate(run, split, seed, figure_dir, *, images_per_class_step, paths_per_class_pair):
  scored = run.split(split)
  classify, info = run.classifier()
  try:   # the second reader; while training, only once it is cached
    second, second_info = run.classifier(arch=readers.SECOND_READER)
  except runs.NoClassifierError:
    second, second_info = None, None
  prototypes = run.prototypes()
  # Both readers read images as the dataset's readers' autoencoder (which they share)
  # gives them back: it reconstructs each decoded image once, for both.
  scores, raw = interpolation.ordinal_study(
      run.codes(split), scored['label'], prototypes,
      lambda codes: classify.seen(run.decode(codes)),
      lambda seen: classify.read_seen(seen)[0], images_per_class_step, paths_per_class_pair,
      seed, run.circular, run.semantic_dims, second and (lambda seen: second.read_seen(seen)[0]))
  k = run.num_classes
  angles = prototype_angles.adjacent_angles_deg(prototypes, run.circular).tolist()
  reconstructions = classify.seen(run.decode(run.codes(split)))
  oracle = np.mean(classify.read_seen(reconstructions)[0] == scored['label'])
  out = {'images_per_class_step': images_per_class_step,
         'classifier_test_accuracy': info['test_accuracy'],
         'gates': {'label': reader_gate(info['test_accuracy'], oracle)},
         'adjacent_prototype_angles_deg': angles}
  if second is not None:
    second_oracle = np.mean(second.read_seen(reconstructions)[0] == scored['label'])
    out['second_classifier_test_accuracy'] = second_info['test_accuracy']
    out['gates']['label_second'] = reader_gate(second_info['test_accuracy'], second_oracle)
  if figure_dir and split == 'test':
    pairs = example_pairs(k)
    figure = os.path.join(figure_dir, 'interpolate.png')
    plots.image_rows(figure_rows(run, scored, pairs, FIGURE_IMAGES_PER_CLASS_STEP, seed), figure,
                     f'{run.spec.method} on {run.spec.data.name}, step {run.step}')
    out.update(pairs=pairs, figure=figure)
  return Result(scores, raw, out)


def _column(kind, metric, reader=''):
  """A column of the first reader's scores, or with reader='second' of the second's."""
  def per_path(raw):
    per_kind = raw['kinds'][kind]
    per_kind = per_kind.get(reader) if reader else per_kind
    if per_kind is None:
      return None
    if metric == 'accuracy':
      return per_kind['correct'], [len(p) for p in per_kind['predicted']]
    return per_kind[metric], None
  prefix = f'{reader}.' if reader else ''
  title = f'{kind.replace("_", " ")} {TITLES[metric]}' + (' (second reader)' if reader else '')
  return Column(f'{kind}.{prefix}{metric}', title, per_path=per_path)


def _agreement(kind):
  def per_path(raw):
    per_kind = raw['kinds'][kind]
    if 'agreement' not in per_kind:
      return None
    return per_kind['agreement'], [len(p) for p in per_kind['predicted']]
  return Column(f'{kind}.agreement', f'{kind.replace("_", " ")} readers agree',
                per_path=per_path)


COLUMNS = tuple(_column(kind, metric) for kind, metric in (
    ('slerp_semantic', 'accuracy'), ('slerp_semantic', 'visits'), ('slerp_semantic', 'monotone'),
    ('lerp_semantic', 'accuracy'), ('slerp_direct', 'accuracy'), ('slerp_direct', 'visits'),
    ('lerp_direct', 'accuracy'))) + (
        _column('slerp_semantic', 'accuracy', 'second'),
        _column('slerp_semantic', 'visits', 'second'),
        _column('slerp_direct', 'visits', 'second'),
        _agreement('slerp_semantic'))

INTERPOLATE = Evaluator(
    'interpolate', COLUMNS, evaluate,
    options={'images_per_class_step': (3, 'Images per unit of class distance (odd: no image '
                                          'falls exactly halfway between two classes, where the '
                                          'expected class ties).'),
             'paths_per_class_pair': (5, 'Paths (start and end images) per ordered class pair.')},
    figure_column='slerp semantic acc.')
EVALUATORS = (INTERPOLATE, INTERPOLATE.with_options('interpolate_small', paths_per_class_pair=1))
