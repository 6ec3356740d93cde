"""`leak`: what each part of a split latent (jsemrep.split) gives away, by linear probes
(logistic regression fitted on the train split's latent means, scored on the split):
the class (the angle) from c, which should be near chance when c keeps only what holds
across classes, and the class from s (high: s carries it); with a second field (the
digit of rotated_mnist5k, standing in for the identity, whose individuals differ
between splits) the same field from s (near chance wanted) and from c. Chance is the
share of the split's most common value. Applies to split runs only."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from jsemrep import split as split_lib
from jsemrep.evaluators.base import Column, Evaluator, Result

SECOND_FIELD = 'digit'


def probe_accuracy(x_train, y_train, x_test, y_test):
  """Accuracy on (x_test, y_test) of a logistic regression fitted on standardised
  x_train (each feature scaled by the train mean and deviation)."""
  mean, scale = x_train.mean(0), x_train.std(0) + 1e-6
  probe = LogisticRegression(max_iter=2000).fit((x_train - mean) / scale, y_train)
  return float(probe.score((x_test - mean) / scale, y_test))


def chance(values):
  return float(np.bincount(values).max() / len(values))


def evaluate(run, split, seed, figure_dir):
  del seed, figure_dir
  dims = run.semantic_dims
  train, scored = run.split('train'), run.split(split)
  parts = {}
  for name, codes in (('train', run.codes('train')), (split, run.codes(split))):
    parts[name] = {'s': split_lib.semantic(codes, dims), 'c': split_lib.rest(codes, dims)}
  fields = ['label'] + ([SECOND_FIELD] if SECOND_FIELD in train else [])
  scores, info = {}, {'semantic_dims': dims}
  for field in fields:
    key = 'class' if field == 'label' else field
    for part in ('s', 'c'):
      scores[f'{key}_from_{part}'] = probe_accuracy(parts['train'][part], train[field],
                                                    parts[split][part], scored[field])
    info[f'{key}_chance'] = chance(scored[field])
  return Result(scores, None, info)


EVALUATORS = (Evaluator('leak', (
    Column('class_from_c', 'class from c (want chance)', higher=False),
    Column('class_from_s', 'class from s'),
    Column('digit_from_s', 'digit from s (want chance)', higher=False),
    Column('digit_from_c', 'digit from c'),
), evaluate, applies=lambda spec: spec.model.semantic_dims > 0,
    title='leak probes of a split latent'),)
