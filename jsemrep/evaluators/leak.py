"""`leak`: what each part of a split latent (jsemrep.split) gives away, by probes fitted
after training on the frozen latent means of the train split and scored on the split —
a linear one (logistic regression) and a small MLP, which reads what a linear probe
misses (a part can hide the class from a critic that trained beside it, or from a
linear read, and still hold it):
the class (the angle) from c, which should be near chance when c keeps only what holds
across classes, and the class from s (high: s carries it); with a second field (the
digit of rotated_mnist5k, standing in for the identity, whose individuals differ
between splits) the same field from s (near chance wanted) and from c. Chance is the
share of the split's most common value. Applies to split runs only."""

import numpy as np

from jsemrep import split as split_lib
from jsemrep.evaluators.base import Column, Evaluator, Result

SECOND_FIELD = 'digit'


PROBES = ('linear', 'mlp')


def probe_accuracy(x_train, y_train, x_test, y_test, probe='linear'):
  """Accuracy on (x_test, y_test) of a probe fitted on standardised x_train (each
  feature scaled by the train mean and deviation): 'linear', a logistic regression;
  'mlp', one hidden layer of 128 ReLUs, stopped on a tenth of x_train held out."""
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel (scikit-learn costs a program ~3 s at import)
  from sklearn.neural_network import MLPClassifier  # pylint: disable=import-outside-toplevel
  mean, scale = x_train.mean(0), x_train.std(0) + 1e-6
  if probe == 'linear':
    model = LogisticRegression(max_iter=2000)
  else:
    model = MLPClassifier((128,), early_stopping=True, max_iter=200, random_state=0)
  model.fit((x_train - mean) / scale, y_train)
  return float(model.score((x_test - mean) / scale, y_test))


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
      for probe in PROBES:
        suffix = '' if probe == 'linear' else f'_{probe}'
        scores[f'{key}_from_{part}{suffix}'] = probe_accuracy(
            parts['train'][part], train[field], parts[split][part], scored[field], probe)
    info[f'{key}_chance'] = chance(scored[field])
  return Result(scores, None, info)


EVALUATORS = (Evaluator('leak', (
    Column('class_from_c', 'class from c (want chance)', higher=False),
    Column('class_from_c_mlp', 'class from c, MLP (want chance)', higher=False),
    Column('class_from_s', 'class from s'),
    Column('digit_from_s', 'digit from s (want chance)', higher=False),
    Column('digit_from_s_mlp', 'digit from s, MLP (want chance)', higher=False),
    Column('digit_from_c', 'digit from c'),
), evaluate, applies=lambda spec: spec.model.semantic_dims > 0,
    title='leak probes of a split latent'),)
