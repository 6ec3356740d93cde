"""`viewpoint`: identity-preserving viewpoint editing (docs/evaluation.md). On a dataset
with identities (rotated_mnist5k, multi_pie named as Multi-PIE names its files), every
editing operator moves the code of an identity at angle i toward angle j and is scored
on angle accuracy along the path, identity kept, and the endpoint's L1 / SSIM to the
true image of that identity at j, beside the oracle and no-edit references; a row per
operator and reference. With a figure directory, on any dataset: edit.png, a few
images edited to every class by every operator (on mnist5k: the digit changed, the
stroke kept). Where the identity reader (jsemrep.readers.identity) is cached, or can be
trained, rank-1 is also read in its features, with its own gate: rank-1 across views of
the real images and of the oracle's reconstructions of them."""

import functools
import os

import jax.numpy as jnp
import numpy as np

from jsemrep import edit
from jsemrep import plots
from jsemrep import runs
from jsemrep import sphere
from jsemrep import split as split_lib
from jsemrep.errors import DataError
from jsemrep.evaluators.base import Column, Evaluator, Result, reader_gate
from jsemrep.metrics import viewpoint
from jsemrep.readers import identity as identity_lib

KEEP_FIELD = 'digit'   # the class an edit must keep, where the dataset records one


def latent_classifier(codes, labels):
  """(weights (K, d), bias (K,)) of a logistic regression on unit train codes: the
  classifier the `guided` operator climbs."""
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel (scikit-learn costs a program ~3 s at import)
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
  plots.image_rows(rows, path, f'{run.spec.method} on {run.spec.data.name}, step {run.step}: '
                   'edited to each class')


def evaluate(run, split, seed, figure_dir, *, identities, images_per_class_step, guided_steps,
             guided_step_size, figure_images):
  if run.circular:
    raise DataError(f'{run.spec.data.name}: viewpoint editing takes ordered, non-circular '
                    'classes')
  scored, train = run.split(split), run.split('train')
  dims = run.semantic_dims
  weights, bias = latent_classifier(split_lib.semantic(run.codes('train'), dims), train['label'])
  ops = {name: split_lib.on_semantic(op, dims)
         for name, op in edit.operators(weights, bias, guided_steps, guided_step_size).items()}
  info = {'images_per_class_step': images_per_class_step, 'guided_steps': guided_steps,
          'guided_step_size': guided_step_size}
  if figure_dir:
    info['figure'] = os.path.join(figure_dir, 'edit.png')
    edit_figure(run, scored, run.codes(split), ops, seed, figure_images, info['figure'])
  if not has_identities(scored):
    info['note'] = (f'{run.spec.data.name} has no identity per example: no scores (they need '
                    "every identity at every angle: rotated_mnist5k, or multi_pie with Multi-PIE's "
                    'file names)')
    return Result({}, None, info)
  classify, clf_info = run.classifier()
  keep_class, classify_keep, keep_info = None, None, None
  if KEEP_FIELD in scored:
    classify_keep, keep_info = run.classifier(KEEP_FIELD)
    keep_class = scored[KEEP_FIELD]
  embed, real_features = None, None
  try:   # the identity reader; while training, only once it is cached
    identity_reader, identity_info = run.classifier(identity_lib.FIELD)
    embed = functools.partial(identity_lib.embed, identity_reader)
    real_features = embed(scored['image'])
  except runs.NoClassifierError:
    pass
  scores, raw = viewpoint.viewpoint_study(
      run.codes(split), scored['image'], scored['identity'], scored['label'], keep_class,
      run.prototypes(), ops, run.decode, lambda images: classify(images)[0],
      classify_keep and (lambda images: classify_keep(images)[0]), images_per_class_step,
      identities, seed, embed, real_features)
  info.update(classifier_test_accuracy=clf_info['test_accuracy'],
              keep_field=KEEP_FIELD if keep_info else None,
              keep_classifier_test_accuracy=keep_info['test_accuracy'] if keep_info else None,
              identities_scored=len(set(raw['identity'])),
              gates=gates(scores, clf_info, keep_info))
  if embed is not None:
    info['gates'][identity_lib.FIELD] = identity_gate(
        real_features, embed(run.decode(run.codes(split))), scored, identity_info)
  return Result(scores, raw, info)


def identity_gate(real, reconstructed, scored, info):
  """The identity reader's gate: its rank-1 across views (jsemrep.readers.identity) of
  the split's real images and of the oracle's reconstructions of them (their features
  `real` and `reconstructed`), both searched among the real images; `test_split` what
  it scored on the test split when trained."""
  views = (scored['identity'], scored['label'])
  across = lambda queries: identity_lib.rank1_across_views(queries, *views, real, *views)
  return {**reader_gate(across(real), across(reconstructed)),
          'test_split': info['test_accuracy'], 'where': 'by rank-1 across views'}


def rows(result):
  """{operator or reference: (its scores, its raw per-path results with the identity of
  every path, which the intervals resample by)}."""
  raw = result.get('paths') or {}
  return {op: (result['scores'][op], {**per_op, 'identity': raw['identity']})
          for op, per_op in raw.get('operators', {}).items()}


def _column(key, title, field, weights=None, higher=True):
  """weights: None, 'images' (the path's length) or the per-path field to divide by."""
  def per_path(per_op):
    if field not in per_op:
      return None
    if weights == 'images':
      w = [len(p) for p in per_op['predicted']]
    else:
      w = per_op[weights] if weights else None
    return per_op[field], w, per_op['identity']
  return Column(key, title, higher, per_path=per_path)


COLUMNS = (
    _column('angle_accuracy', 'angle acc.', 'correct', 'images'),
    _column('conditioned_angle_accuracy', 'identity-conditioned angle acc.', 'conditioned',
            'images'),
    _column('identity_kept', 'identity kept', 'kept_images', 'images'),
    _column('angle_and_identity', 'angle and identity', 'both', 'images'),
    _column('rank1', 'rank-1', 'rank1', 'images'),
    _column('visits', 'visits', 'visits'),
    _column('endpoint_l1', 'endpoint L1', 'endpoint_l1', higher=False),
    _column('endpoint_l1_gap_closed', 'endpoint L1 gap closed', 'gap_closed_num',
            'gap_closed_den'),
    _column('endpoint_ssim', 'endpoint SSIM', 'endpoint_ssim'),
    _column('endpoint_angle', 'endpoint angle', 'endpoint_angle'),
    _column('endpoint_kept', 'endpoint identity', 'endpoint_kept'),
    _column('endpoint_rank1', 'endpoint rank-1', 'endpoint_rank1'),
    _column('endpoint_joint', 'endpoint joint rank-1', 'endpoint_joint'),
    _column('rank1_reader', 'rank-1 (identity reader)', 'rank1_reader', 'images'),
    _column('endpoint_rank1_reader', 'endpoint rank-1 (identity reader)',
            'endpoint_rank1_reader'),
    _column('endpoint_joint_reader', 'endpoint joint rank-1 (identity reader)',
            'endpoint_joint_reader'),
)
def gates(scores, clf_info, keep_info):
  """{reader: reader_gate}: each reader on the real images along the paths (`truth`) and
  on the oracle's reconstructions of the same images, like with like as the
  interpolation gate (the paths weight the angles unevenly); `test_split` its accuracy
  on the whole real test split (its ceiling on the dataset)."""
  def gate(key, info):
    return {**reader_gate(scores['truth'][key], scores['oracle'][key]),
            'test_split': info['test_accuracy']}
  out = {'angle': gate('angle_accuracy', clf_info)}
  if keep_info:
    out[KEEP_FIELD] = gate('identity_kept', keep_info)
  return out


EVALUATORS = (Evaluator(
    'viewpoint', COLUMNS, evaluate,
    options={'identities': (200, 'Identities edited (each along every ordered angle pair).'),
             'images_per_class_step': (1, 'Path images per unit of angle distance (odd; 1: '
                                          'an image at every angle, where the true views are).'),
             'guided_steps': (30, 'Most Riemannian steps of the `guided` operator.'),
             'guided_step_size': (0.1, 'Angle (radians) of one step of `guided`.'),
             'figure_images': (3, 'Images in the editing figure.')},
    applies=lambda spec: not spec.data.circular,
    rows=rows, figure_column='angle and identity', title='viewpoint editing'),)
