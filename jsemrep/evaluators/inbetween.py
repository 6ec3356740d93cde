"""`inbetween`: interpolants against rendered truth on a dataset whose test identities
also exist at in-between views (synthetic_heads' split test_between): the midpoint of
the semantic and the direct slerp path between two views of a head, one or two classes
apart, against the true view halfway, beside the oracle and either endpoint's
reconstruction (jsemrep/metrics/inbetween.py, docs/evaluation.md). Figure
`inbetween.png`: for a few test heads, the rendered truth at all 13 yaws above the
run's semantic and direct paths from the first view to the last at the same 13 places."""

import os

import jax.numpy as jnp
import numpy as np

from jsemrep import plots
from jsemrep import split as split_lib
from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import inbetween

BETWEEN_SPLIT = 'test_between'


def path_figure(run, scored, between, seed, count, path):
  """The truth at all 2K - 1 yaws of `count` test heads (drawn with `seed`), each above
  the decoded semantic and direct slerp paths from its view 0 to its view K - 1 at
  t = m / (2K - 2): the in-between places included."""
  k = run.num_classes
  ids, index, rows, between_views = inbetween.drawn_heads(
      scored['identity'], scored['label'], between['identity'], between['label'], k, count, seed)
  codes = run.codes('test')
  z1, z2 = jnp.asarray(codes[index[rows, 0]]), jnp.asarray(codes[index[rows, k - 1]])
  y1, y2 = jnp.zeros(len(rows), jnp.int32), jnp.full(len(rows), k - 1, jnp.int32)
  ts = jnp.linspace(0.0, 1.0, 2 * k - 1)
  dims = run.semantic_dims
  paths = {'semantic': split_lib.semantic_paths(z1, z2, y1, y2, run.prototypes(), ts, 'slerp',
                                                False, dims),
           'direct': split_lib.direct_paths(z1, z2, ts, 'slerp', dims)}
  figure_rows = []
  for n, row in enumerate(rows):
    truth = np.empty((2 * k - 1, *scored['image'].shape[1:]), np.uint8)
    truth[0::2] = scored['image'][index[row]]
    truth[1::2] = between['image'][between_views[n]]
    figure_rows.append((f'head {ids[row]}: truth', truth.astype(np.float32) / 255))
    for kind, path_codes in paths.items():
      figure_rows.append((kind, run.decode(np.asarray(path_codes[n]))))
  plots.image_rows(figure_rows, path, f'{run.spec.method} on {run.spec.data.name}, step '
                   f'{run.step}: yaw -90 to +90 by 15 degrees')


def evaluate(run, split, seed, figure_dir, *, identities, figure_heads):
  if split != 'test':
    raise ValueError(f'inbetween scores the test heads (its in-between views are of the test '
                     f'split only); got split={split!r}')
  scored, between = run.split('test'), run.split(BETWEEN_SPLIT)
  between_codes = run.encode(between['image'], between['label'])
  scores, raw = inbetween.inbetween_study(
      run.codes('test'), scored['image'], scored['identity'], scored['label'], between_codes,
      between['image'], between['identity'], between['label'], run.prototypes(), run.decode,
      identities, seed, run.semantic_dims)
  info = {'identities_scored': len(set(raw['identity']))}
  if figure_dir:
    info['figure'] = os.path.join(figure_dir, 'inbetween.png')
    path_figure(run, scored, between, seed, figure_heads, info['figure'])
  return Result(scores, raw, info)


def rows(result):
  raw = result.get('paths') or {}
  return {kind: (result['scores'][kind], {**per_kind, '_all': raw})
          for kind, per_kind in raw.get('kinds', {}).items()}


def _column(cell, metric, title, higher=True):
  per_path_key = {'yaw_accuracy': 'yaw'}.get(metric, metric)   # the raw per-path name

  def per_path(per_kind):
    if per_path_key not in per_kind:
      return None
    chosen = inbetween.selections(per_kind['_all'])[cell]
    values = np.asarray(per_kind[per_path_key], np.float64)[chosen]
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
    options={'identities': (200, 'Test heads scored (each at every pair of views 1 or 2 apart).'),
             'figure_heads': (3, 'Test heads in the figure.')},
    applies=lambda spec: spec.data.name == 'synthetic_heads',
    rows=rows, figure_column='nearer than both ends, two steps',
    title='interpolants against rendered in-between views'),)
