"""python -m eval.viewpoint --workdir=DIR [--split=test|validation]: identity-preserving
viewpoint editing (docs/evaluation.md). On a dataset with identities (rotated_mnist5k,
multi_pie named as Multi-PIE names its files), every editing operator moves the code
of an identity at angle i toward angle j and is scored on angle accuracy along the
path, identity kept, and the endpoint's L1 / SSIM to the true image of that identity
at j, beside the oracle and no-edit references; raw per-path results in
DIR/eval/viewpoint.json. On any dataset, DIR/eval/edit.png: a few test images edited
to every class by every operator (on mnist5k: the digit changed, the stroke kept)."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os
import time

from absl import flags
import jax.numpy as jnp
import numpy as np
from sklearn.linear_model import LogisticRegression

from eval import common
from jsemrep import classifier as classifier_lib
from jsemrep import data
from jsemrep import edit
from jsemrep import inference
from jsemrep import plots
from jsemrep import sphere
from jsemrep.errors import DataError
from jsemrep.metrics import viewpoint

FLAGS = flags.FLAGS
flags.DEFINE_enum('split', 'test', ['test', 'validation'],
                  'Split to score: choose settings on validation, report test.')
flags.DEFINE_integer('identities', 40, 'Identities edited (each along every ordered angle pair).')
flags.DEFINE_integer('images_per_class_step', 3, 'Path images per unit of angle distance (odd).')
flags.DEFINE_integer('seed', 0, 'Which identities (and figure images) are drawn; independent of '
                     'the training seed, so runs evaluated with one seed share their paths.')
flags.DEFINE_integer('guided_steps', 30, 'Most Riemannian steps of the `guided` operator.')
flags.DEFINE_float('guided_step_size', 0.1, 'Angle (radians) of one step of `guided`.')
flags.DEFINE_integer('figure_images', 3, 'Test images in the editing figure.')

KEEP_FIELD = 'digit'   # the class an edit must keep, where the dataset records one


def latent_classifier(codes, labels):
  """(weights (K, d), bias (K,)) of a logistic regression on unit train codes: the
  classifier the `guided` operator climbs."""
  probe = LogisticRegression(max_iter=2000).fit(np.asarray(sphere.normalize(codes)), labels)
  return probe.coef_, probe.intercept_


def edit_figure(split, codes, prototypes, ops, decode, seed, count, path, title):
  """For `count` images of the split: a row per operator of the image edited to every
  class (t = 1), and, where the dataset has identities, the true images above."""
  k = prototypes.shape[0]
  rng = np.random.default_rng(seed)
  has_identity = 'identity' in split and np.all(split['identity'] >= 0)
  if has_identity:
    ids, index = viewpoint.identity_table(split['identity'], split['label'], k)
    picks = index[viewpoint.draw_identities(len(ids), count, seed), k // 2]
  else:
    picks = rng.choice(len(split['label']), count, replace=False)
  rows = []
  targets = jnp.arange(k)
  for example in picks:
    y = int(split['label'][example])
    z = jnp.broadcast_to(jnp.asarray(codes[example]), (k, codes.shape[1]))
    source = jnp.full((k,), y)
    if has_identity:
      truth = index[np.flatnonzero(ids == split['identity'][example])[0]]
      rows.append((f'truth #{int(split["identity"][example])}',
                   split['image'][truth].astype(np.float32) / 255.0))
    else:
      rows.append((f'input ({y})', split['image'][example:example + 1].astype(np.float32) / 255.0))
    for name, op in ops.items():
      ends = edit.edit_paths(op, z, source, targets, prototypes, jnp.ones((1,)))[:, 0]
      rows.append((f'{name}', decode(np.asarray(ends))))
  plots.image_rows(rows, path, title)


def main(argv):
  del argv
  start = time.perf_counter()
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, scored = data.load_split(config, 'train'), data.load_split(config, FLAGS.split)
  k = config.data.num_classes
  if config.data.get('circular', False):
    raise DataError(f'{config.data.name}: viewpoint editing takes ordered, non-circular classes')
  train_codes = inference.encode(model, params, train['image'])
  codes = inference.encode(model, params, scored['image'])
  prototypes = sphere.class_prototypes(jnp.asarray(train_codes), train['label'], k)
  weights, bias = latent_classifier(train_codes, train['label'])
  ops = edit.operators(weights, bias, FLAGS.guided_steps, FLAGS.guided_step_size)
  decode = lambda z: inference.to_images(inference.decode(model, params, z),
                                         config.loss.reconstruction)
  figure = os.path.join(common.eval_dir(FLAGS.workdir), 'edit.png')
  edit_figure(scored, codes, prototypes, ops, decode, FLAGS.seed, FLAGS.figure_images, figure,
              f'{config.method} on {config.data.name}, step {step}: edited to each class')
  if 'identity' not in scored or np.any(scored['identity'] < 0):
    print(f'{config.data.name} has no identity per example: wrote the editing figure {figure} '
          'only (scores need every identity at every angle: rotated_mnist5k, or multi_pie with '
          "Multi-PIE's file names)")
    return
  clf_model, clf_params, clf_info = classifier_lib.for_run(config)
  classify = lambda images: classifier_lib.predict(clf_model, clf_params, images)[0]
  keep_class, classify_keep, keep_info = None, None, None
  if KEEP_FIELD in scored:
    keep_model, keep_params, keep_info = classifier_lib.load_or_train(
        config.data.name, config.data.data_dir or None, config.data.manual_dir or None,
        field=KEEP_FIELD)
    keep_class = scored[KEEP_FIELD]
    classify_keep = lambda images: classifier_lib.predict(keep_model, keep_params, images)[0]
  scores, raw = viewpoint.viewpoint_study(
      codes, scored['image'], scored['identity'], scored['label'], keep_class, prototypes, ops,
      decode, classify, classify_keep, FLAGS.images_per_class_step, FLAGS.identities, FLAGS.seed)
  result = {'step': step, 'split': FLAGS.split, 'pairs_seed': FLAGS.seed,
            **common.run_fields(config), 'images_per_class_step': FLAGS.images_per_class_step,
            'guided_steps': FLAGS.guided_steps, 'guided_step_size': FLAGS.guided_step_size,
            'classifier_test_accuracy': clf_info['test_accuracy'],
            'keep_field': KEEP_FIELD if keep_info else None,
            'keep_classifier_test_accuracy': keep_info['test_accuracy'] if keep_info else None,
            'figure': figure, 'scores': scores, 'paths': raw}
  name = 'viewpoint' if FLAGS.split == 'test' else f'viewpoint_{FLAGS.split}'
  path = common.write_json(FLAGS.workdir, name, result)
  for op, score in scores.items():
    fields = '  '.join(f'{key} {value:.3f}' for key, value in score.items()
                       if key not in ('images', 'paths'))
    print(f'{op:15s} {fields}')
  print(f'({FLAGS.split} split, {len(set(raw["identity"]))} identities, {len(raw["identity"])} '
        f'paths; angle classifier test accuracy {clf_info["test_accuracy"]:.3f}'
        + (f', {KEEP_FIELD} classifier {keep_info["test_accuracy"]:.3f}' if keep_info else '')
        + f'); wrote {path} in {time.perf_counter() - start:.0f} s')


if __name__ == '__main__':
  common.run(main)
