"""`lines` (runs trained on `lines`): ACAI's Mean Distance and Smoothness
(docs/evaluation.md) of lerp and slerp interpolations between random pairs of the
split, each path's raw result, and with a figure directory lines.png, decoded line
interpolations."""

import os

import jax.numpy as jnp
import numpy as np

from jsemrep import plots
from jsemrep import sphere
from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import lines


def evaluate(run, split, seed, figure_dir, *, paths, path_length):
  z = run.codes(split)
  rng = np.random.default_rng(seed)
  a, b = rng.integers(0, len(z), paths), rng.integers(0, len(z), paths)
  ts = sphere.path_ts(path_length)
  reference = lines.reference_lines()
  scores, raw, rows = {}, {}, []
  for interp in ('lerp', 'slerp'):
    codes = sphere.direct_paths_batch(jnp.asarray(z[a]), jnp.asarray(z[b]), ts, interp)
    images = run.decode(np.asarray(codes))
    scores[interp], per_path = lines.lines_scores(images, reference)
    raw[interp] = {k: [None if np.isnan(v) else v for v in values]
                   for k, values in per_path.items()}
    rows += [(f'{interp} {p}', images[p]) for p in range(min(3, paths))]
  info = {'path_length': path_length}
  if figure_dir:
    info['figure'] = os.path.join(figure_dir, 'lines.png')
    plots.image_rows(rows, info['figure'], f'{run.spec.method} on lines, step {run.step}')
  return Result(scores, raw, info)


def _column(interp, metric):
  key = {'mean_distance': 'distance', 'smoothness': 'smoothness'}[metric]
  title = f'lines {"Mean Distance" if key == "distance" else "Smoothness"} {interp}'
  per_path = lambda raw: ([np.nan if v is None else v for v in raw[interp][key]], None)
  return Column(f'{interp}.{metric}', title, higher=False, per_path=per_path)


EVALUATORS = (Evaluator(
    'lines', tuple(_column(i, m) for i in ('lerp', 'slerp') for m in ('mean_distance',
                                                                      'smoothness')),
    evaluate, options={'paths': (256, 'Interpolation paths.'),
                       'path_length': (16, 'Images per path, endpoints included.')},
    applies=lambda spec: spec.data.name == 'lines'),)
