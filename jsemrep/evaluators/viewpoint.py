"""`viewpoint`: identity-preserving viewpoint editing (docs/evaluation.md). On a dataset
with identities (rotated_mnist5k, multi_pie named as Multi-PIE names its files), every
editing operator moves the code of an identity at angle i toward angle j and is scored
on angle accuracy along the path, identity kept, and the endpoint's L1 / SSIM to the
true image of that identity at j, beside the oracle and no-edit references; a row per
operator and reference. With a figure directory, on any dataset: edit.png, a few
images edited to every class by every operator (on mnist5k: the digit changed, the
stroke kept)."""

import os

import jax.numpy as jnp
import numpy as np
from sklearn.linear_model import LogisticRegression

from jsemrep import edit
from jsemrep import plots
from jsemrep import sphere
from jsemrep.errors import DataError
from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import viewpoint

KEEP_FIELD = 'digit'   # the class an edit must keep, where the dataset records one


def latent_classifier(codes, labels):
  """(weights (K, d), bias (K,)) of a logistic regression on unit train codes: the
  classifier the `guided` operator climbs."""
  probe = LogisticRegression(max_iter=2000).fit(np.asarray(sphere.normalize(codes)), labels)
  return probe.coef_, probe.intercept_


def has_identities(split):
  return 'identity' in split and bool(np.all(split['identity'] >= 0))


def edit_figure(run, split, codes, ops, seed, count, path):
  """For `count` images of the split: a row per operator of the image edited to every
  class (t = 1), and, where the dataset has identities, the true images above."""
  k, prototypes = run.num_classes, run.prototypes()
  if has_identities(split):
    ids, index = viewpoint.identity_table(split['identity'], split['label'], k)
    picks = index[viewpoint.draw_identities(len(ids), count, seed), k // 2]
  else:
    picks = np.random.default_rng(seed).choice(len(split['label']), count, replace=False)
  rows = []
  for example in picks:
    y = int(split['label'][example])
    z = jnp.broadcast_to(jnp.asarray(codes[example]), (k, codes.shape[1]))
    if has_identities(split):
      truth = index[np.flatnonzero(ids == split['identity'][example])[0]]
      rows.append((f'truth #{int(split["identity"][example])}',
                   split['image'][truth].astype(np.float32) / 255.0))
    else:
      rows.append((f'input ({y})', split['image'][example:example + 1].astype(np.float32) / 255.0))
    for name, op in ops.items():
      ends = edit.edit_paths(op, z, jnp.full((k,), y), jnp.arange(k), prototypes, jnp.ones((1,)),
                             run.circular)[:, 0]
      rows.append((name, run.decode(np.asarray(ends))))
  plots.image_rows(rows, path, f'{run.config.method} on {run.config.data.name}, step {run.step}: '
                   'edited to each class')


def evaluate(run, split, seed, figure_dir, *, identities, images_per_class_step, guided_steps,
             guided_step_size, figure_images):
  if run.circular:
    raise DataError(f'{run.config.data.name}: viewpoint editing takes ordered, non-circular '
                    'classes')
  scored, train = run.split(split), run.split('train')
  weights, bias = latent_classifier(run.codes('train'), train['label'])
  ops = edit.operators(weights, bias, guided_steps, guided_step_size)
  info = {'images_per_class_step': images_per_class_step, 'guided_steps': guided_steps,
          'guided_step_size': guided_step_size}
  if figure_dir:
    info['figure'] = os.path.join(figure_dir, 'edit.png')
    edit_figure(run, scored, run.codes(split), ops, seed, figure_images, info['figure'])
  if not has_identities(scored):
    info['note'] = (f'{run.config.data.name} has no identity per example: no scores (they need '
                    "every identity at every angle: rotated_mnist5k, or multi_pie with Multi-PIE's "
                    'file names)')
    return Result({}, None, info)
  classify, clf_info = run.classifier()
  keep_class, classify_keep, keep_info = None, None, None
  if KEEP_FIELD in scored:
    classify_keep, keep_info = run.classifier(KEEP_FIELD)
    keep_class = scored[KEEP_FIELD]
  scores, raw = viewpoint.viewpoint_study(
      run.codes(split), scored['image'], scored['identity'], scored['label'], keep_class,
      run.prototypes(), ops, run.decode, lambda images: classify(images)[0],
      classify_keep and (lambda images: classify_keep(images)[0]), images_per_class_step,
      identities, seed)
  info.update(classifier_test_accuracy=clf_info['test_accuracy'],
              keep_field=KEEP_FIELD if keep_info else None,
              keep_classifier_test_accuracy=keep_info['test_accuracy'] if keep_info else None,
              identities_scored=len(set(raw['identity'])))
  return Result(scores, raw, info)


def rows(result):
  """{operator or reference: (its scores, its raw per-path results)}."""
  raw = result.get('paths') or {}
  out = {op: (result['scores'][op], per_op) for op, per_op in raw.get('operators', {}).items()}
  out.update({ref: (result['scores'][ref], raw[ref]) for ref in viewpoint.REFERENCES if ref in raw})
  return out


def _column(key, title, field, weighted, higher=True):
  def per_path(per_op):
    if field not in per_op:
      return None
    return per_op[field], ([len(p) for p in per_op['predicted']] if weighted else None)
  return Column(key, title, higher, per_path=per_path)


COLUMNS = (
    _column('angle_accuracy', 'angle acc.', 'correct', True),
    _column('identity_kept', 'identity kept', 'kept_images', True),
    _column('angle_and_identity', 'angle and identity', 'both', True),
    _column('visits', 'visits', 'visits', False),
    _column('endpoint_l1', 'endpoint L1', 'endpoint_l1', False, higher=False),
    _column('endpoint_ssim', 'endpoint SSIM', 'endpoint_ssim', False),
    _column('endpoint_angle', 'endpoint angle', 'endpoint_angle', False),
    _column('endpoint_kept', 'endpoint identity', 'endpoint_kept', False),
)

EVALUATORS = (Evaluator(
    'viewpoint', COLUMNS, evaluate,
    options={'identities': (40, 'Identities edited (each along every ordered angle pair).'),
             'images_per_class_step': (3, 'Path images per unit of angle distance (odd).'),
             'guided_steps': (30, 'Most Riemannian steps of the `guided` operator.'),
             'guided_step_size': (0.1, 'Angle (radians) of one step of `guided`.'),
             'figure_images': (3, 'Images in the editing figure.')},
    applies=lambda config: not config.data.get('circular', False),
    rows=rows, figure_column='angle and identity', title='viewpoint editing'),)
