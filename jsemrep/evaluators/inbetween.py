"""`inbetween`: interpolants against rendered truth on a dataset whose test identities
also exist at in-between views (synthetic_heads' split test_between): the midpoint of
the semantic and the direct slerp path between two views of a head, one or two classes
apart, against the true view halfway, beside the oracle and either endpoint's
reconstruction (jsemrep/metrics/inbetween.py, docs/evaluation.md)."""

import numpy as np

from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import inbetween

BETWEEN_SPLIT = 'test_between'


def evaluate(run, split, seed, figure_dir, *, identities):
  del figure_dir
  if split != 'test':
    raise ValueError(f'inbetween scores the test heads (its in-between views are of the test '
                     f'split only); got split={split!r}')
  scored, between = run.split('test'), run.split(BETWEEN_SPLIT)
  between_codes = run.encode(between['image'], between['label'])
  scores, raw = inbetween.inbetween_study(
      run.codes('test'), scored['image'], scored['identity'], scored['label'], between_codes,
      between['image'], between['identity'], between['label'], run.prototypes(), run.decode,
      identities, seed, run.semantic_dims)
  return Result(scores, raw, {'identities_scored': len(set(raw['identity']))})


def rows(result):
  raw = result.get('paths') or {}
  return {kind: (result['scores'][kind], {**per_kind, '_all': raw})
          for kind, per_kind in raw.get('kinds', {}).items()}


def _column(cell, metric, title, higher=True):
  def per_path(per_kind):
    if metric not in per_kind:
      return None
    chosen = inbetween.selections(per_kind['_all'])[cell]
    values = np.asarray(per_kind[metric], np.float64)[chosen]
    return values, None, np.asarray(per_kind['_all']['identity'])[chosen]
  return Column(f'{cell}.{metric}', title, higher, per_path=per_path)


COLUMNS = (
    _column('one_step', 'l1', 'L1, one step (in-between yaw)', higher=False),
    _column('one_step', 'yaw_accuracy', 'yaw, one step'),
    _column('two_steps', 'l1', 'L1, two steps (skipped view)', higher=False),
    _column('two_steps', 'yaw_accuracy', 'yaw, two steps'),
    _column('two_steps', 'nearer', 'nearer than both ends, two steps'),
    _column('frontal', 'nearer', 'nearer than both ends, -30 to +30'),
)

EVALUATORS = (Evaluator(
    'inbetween', COLUMNS, evaluate,
    options={'identities': (200, 'Test heads scored (each at every pair of views 1 or 2 apart).')},
    applies=lambda config: config.data.name == 'synthetic_heads',
    rows=rows, figure_column='nearer than both ends, two steps',
    title='interpolants against rendered in-between views'),)
