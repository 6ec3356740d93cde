"""python -m eval.report --runs=DIR: a markdown table per dataset of every run below DIR
(DIR/results.md, DIR/results.json) and a bar chart of semantic-slerp accuracy with its
intervals (DIR/results.png).

Runs whose directories differ only in a last component `seed<N>` form one row: mean
and 95 % interval over seeds x paths (docs/evaluation.md). A value is bold only where
its interval separates from every other row's in that column.
"""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import glob
import json
import os
import re
import sys

from absl import app
from absl import flags
import numpy as np

from jsemrep import plots
from jsemrep.metrics import intervals

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', 'runs/results', 'Directory of training runs.')

NEIGHBOR_READINGS = {'adjacent': "adjacent: the paper's wording",
                     'ordinal': "ordinal: this project's reading",
                     'all': 'all: angular FaceNet'}
METHOD_NAMES = {'triplet': 'triplet (FaceNet)'}


def _interp_column(kind, metric, split=''):
  program = 'interpolate' + (f'_{split}' if split else '')
  label = {'accuracy': 'acc.', 'monotone': 'monotone', 'visits': 'visits'}[metric]
  title = f'{kind.replace("_", " ")} {label}' + (f' ({split})' if split else '')

  def per_path(result):
    raw = result['paths']['kinds'][kind]
    if metric == 'accuracy':
      return raw['correct'], [len(p) for p in raw['predicted']]
    return raw[metric], None
  return title, program, ('scores', kind, metric), per_path, True


def _lines_column(interp, metric):
  key = {'mean_distance': 'distance', 'smoothness': 'smoothness'}[metric]
  title = f'lines {"Mean Distance" if key == "distance" else "Smoothness"} {interp}'
  per_path = lambda result: ([np.nan if v is None else v for v in result['paths'][interp][key]],
                             None)
  return title, 'lines', (interp, metric), per_path, False


COLUMNS = [
    _interp_column('slerp_semantic', 'accuracy'),
    _interp_column('slerp_semantic', 'visits'),
    _interp_column('slerp_semantic', 'monotone'),
    _interp_column('lerp_semantic', 'accuracy'),
    _interp_column('slerp_direct', 'accuracy'),
    _interp_column('slerp_direct', 'visits'),
    _interp_column('lerp_direct', 'accuracy'),
    _interp_column('slerp_semantic', 'accuracy', 'validation'),
    _interp_column('slerp_semantic', 'visits', 'validation'),
    ('linear probe', 'representation', ('linear_probe_accuracy',), None, True),
    ('retrieval mAP', 'representation', ('retrieval_map',), None, True),
    ('k-means acc.', 'representation', ('kmeans_accuracy',), None, True),
    ('FID prior (classifier features)', 'generation', ('prior', 'fid'), None, False),
    ('FID interp. (classifier features)', 'generation', ('interpolants', 'fid'), None, False),
    ('precision prior (classifier features)', 'generation', ('prior', 'precision'), None, True),
    ('recall prior (classifier features)', 'generation', ('prior', 'recall'), None, True),
    _lines_column('lerp', 'mean_distance'),
    _lines_column('lerp', 'smoothness'),
    _lines_column('slerp', 'mean_distance'),
    _lines_column('slerp', 'smoothness'),
]


def collect(runs):
  """{run dir (relative): {program: result}} of every eval JSON under runs; a file
  that does not parse is skipped with a warning naming it."""
  table = {}
  for path in sorted(glob.glob(os.path.join(runs, '**', 'eval', '*.json'), recursive=True)):
    try:
      with open(path, encoding='utf-8') as f:
        result = json.load(f)
    except (OSError, ValueError) as e:
      print(f'warning: skipping {path}: not a readable result JSON ({e}); rerun the evaluation '
            'program that wrote it', file=sys.stderr)
      continue
    run = os.path.relpath(os.path.dirname(os.path.dirname(path)), runs)
    table.setdefault(run, {})[os.path.splitext(os.path.basename(path))[0]] = result
  return table


def group_name(run):
  """The run directory without a trailing seed<N> component."""
  head, tail = os.path.split(run)
  return head if re.fullmatch(r'seed\d+', tail) and head else run


def display_name(fields):
  name = METHOD_NAMES.get(fields['method'], fields['method'])
  if 'neighbor' in fields:
    name += f' ({NEIGHBOR_READINGS.get(fields["neighbor"], fields["neighbor"])})'
  return name


def _get(result, keys):
  for k in keys:
    if not isinstance(result, dict) or k not in result:
      return None
    result = result[k]
  return result


def group(table):
  """{group: {'runs': [...], 'fields': ..., 'columns': {title: (mean, low, high, seeds)}}}."""
  groups = {}
  for run, results in table.items():
    groups.setdefault(group_name(run), []).append((run, results))
  out = {}
  for name, members in sorted(groups.items()):
    fields = next(iter(members[0][1].values()))
    row = {'runs': [run for run, _ in members], 'dataset': fields.get('dataset', '?'),
           'name': display_name(fields) if 'method' in fields else name,
           'uses_labels': fields.get('uses_labels'),
           'seeds': sorted({r.get('seed') for _, rs in members for r in rs.values()}, key=str),
           'columns': {}}
    for title, program, keys, per_path, _ in COLUMNS:
      results = [rs[program] for _, rs in members if _get(rs.get(program), keys) is not None]
      if not results:
        continue
      row['columns'][title] = _interval(results, keys, per_path) + (len(results),)
    out[name] = row
  return out


def _interval(results, keys, per_path):
  if per_path is not None and all('paths' in r for r in results):
    rows = [per_path(r) for r in results]
    if len({len(v) for v, _ in rows}) == 1:
      return intervals.bootstrap([v for v, _ in rows], rows[0][1])
  return intervals.over_seeds([_get(r, keys) for r in results])


def _cell(value):
  mean, low, high, _ = value
  digits = 3 if abs(mean) < 100 else 0
  if high - low < 10 ** -digits / 2:
    return f'{mean:.{digits}f}'
  return f'{mean:.{digits}f} ± {(high - low) / 2:.{digits}f}'


def markdown(groups):
  """One table per dataset; bold only where the interval separates from every other row."""
  text = []
  for dataset in sorted({g['dataset'] for g in groups.values()}):
    rows = {k: g for k, g in groups.items() if g['dataset'] == dataset}
    titles = [c[0] for c in COLUMNS if any(c[0] in g['columns'] for g in rows.values())]
    best = {}
    for title, *_, higher in (c for c in COLUMNS if c[0] in titles):
      values = {k: g['columns'][title][:3] for k, g in rows.items() if title in g['columns']}
      best[title] = intervals.separated_best(values, higher)
    header = ['run', 'method', 'labels', 'seeds'] + titles
    text += [f'### {dataset}', '', '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for key, g in rows.items():
      cells = []
      for title in titles:
        value = g['columns'].get(title)
        cell = '' if value is None else _cell(value)
        cells.append(f'**{cell}**' if best.get(title) == key and cell else cell)
      labels = {True: 'yes', False: 'no'}.get(g['uses_labels'], '?')
      text.append('| ' + ' | '.join([key, g['name'], labels, str(len(g['runs']))] + cells) + ' |')
    text.append('')
  text.append('Mean ± half the width of the 95 % interval: a two-level bootstrap over seeds '
              'and paths for path metrics, Student-t over seeds otherwise (docs/evaluation.md). '
              'Bold: the interval separates from every other row.')
  return '\n'.join(text) + '\n'


def main(argv):
  del argv
  table = collect(FLAGS.runs)
  if not table:
    raise FileNotFoundError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  groups = group(table)
  text = markdown(groups)
  with open(os.path.join(FLAGS.runs, 'results.md'), 'w', encoding='utf-8') as f:
    f.write(text)
  with open(os.path.join(FLAGS.runs, 'results.json'), 'w', encoding='utf-8') as f:
    json.dump(groups, f, indent=1)
  title = COLUMNS[0][0]
  bars = {(g['dataset'], g['name']): g['columns'][title][:3]
          for g in groups.values() if title in g['columns']}
  if bars:
    plots.grouped_bars(bars, os.path.join(FLAGS.runs, 'results.png'),
                       f'{title}: mean and 95 % interval')
  print(text)


if __name__ == '__main__':
  app.run(main)
