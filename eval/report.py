"""python -m eval.report --runs=DIR: a markdown table per dataset of every run below DIR
(DIR/results.md, DIR/results.json) and a bar chart of semantic-slerp accuracy with its
intervals (DIR/results.png); for the run directories of a sweep (PARENT/KEY=VALUE/seed<N>),
a plot of the semantic-slerp columns against the swept value (DIR/sweep_[PARENT_]KEY.png);
where runs have eval.viewpoint results, a table of every
editing operator per run and a bar chart of its angle-and-identity accuracy
(DIR/results_viewpoint.png).

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


def _viewpoint_column(title, metric, weighted, higher=True):
  """A column of the viewpoint table: per-path values of one operator or reference."""
  def per_path(per_op):
    if metric not in per_op:
      return None
    return per_op[metric], ([len(p) for p in per_op['predicted']] if weighted else None)
  return title, per_path, higher


VIEWPOINT_COLUMNS = [
    _viewpoint_column('angle acc.', 'correct', True),
    _viewpoint_column('identity kept', 'kept_images', True),
    _viewpoint_column('angle and identity', 'both', True),
    _viewpoint_column('visits', 'visits', False),
    _viewpoint_column('endpoint L1', 'endpoint_l1', False, higher=False),
    _viewpoint_column('endpoint SSIM', 'endpoint_ssim', False),
    _viewpoint_column('endpoint angle', 'endpoint_angle', False),
    _viewpoint_column('endpoint identity', 'endpoint_kept', False),
]
VIEWPOINT_FIGURE_COLUMN = 'angle and identity'


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


def _table(heading, lead, rows, columns):
  """Markdown lines of one table: rows {key: (lead cells, {title: (mean, low, high, n)})},
  columns [(title, higher is better)] (those no row has are left out); a cell is bold
  only where its interval separates from every other row's."""
  titles = [(t, h) for t, h in columns if any(t in cols for _, cols in rows.values())]
  best = {}
  for title, higher in titles:
    values = {k: cols[title][:3] for k, (_, cols) in rows.items() if title in cols}
    best[title] = intervals.separated_best(values, higher) if len(values) > 1 else None
  header = lead + [t for t, _ in titles]
  text = [heading, '', '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  for key, (cells, cols) in rows.items():
    for title, _ in titles:
      cell = '' if cols.get(title) is None else _cell(cols[title])
      cells = cells + [f'**{cell}**' if best[title] == key and cell else cell]
    text.append('| ' + ' | '.join(cells) + ' |')
  return text + ['']


def markdown(groups):
  """One table per dataset; bold only where the interval separates from every other row."""
  text = []
  for dataset in sorted({g['dataset'] for g in groups.values()}):
    rows = {k: g for k, g in groups.items() if g['dataset'] == dataset and g['columns']}
    if not rows:     # e.g. runs with eval.viewpoint results only: their own table below
      continue
    labels = lambda g: {True: 'yes', False: 'no'}.get(g['uses_labels'], '?')
    text += _table(f'### {dataset}', ['run', 'method', 'labels', 'seeds'],
                   {k: ([k, g['name'], labels(g), str(len(g['runs']))], g['columns'])
                    for k, g in rows.items()},
                   [(c[0], c[-1]) for c in COLUMNS])
  text.append('Mean ± half the width of the 95 % interval: a two-level bootstrap over seeds '
              'and paths for path metrics, Student-t over seeds otherwise (docs/evaluation.md). '
              'Bold: the interval separates from every other row.')
  return '\n'.join(text) + '\n'


SWEEP_PLOT_COLUMNS = ('slerp semantic acc.', 'slerp semantic visits',
                      'slerp semantic acc. (validation)', 'slerp semantic visits (validation)')


def sweep_axes(groups):
  """{(parent, key): [(value, group), ...]} for groups named PARENT/KEY=VALUE (the run
  directories of a one-knob sweep, train.main --config.sweep), two values or more."""
  axes = {}
  for name in groups:
    parent, last = os.path.split(name)
    match = re.fullmatch(r'([A-Za-z_][\w.]*)=([-+0-9.eE]+)', last)
    if match:
      axes.setdefault((parent, match.group(1)), []).append((float(match.group(2)), name))
  return {key: sorted(points) for key, points in axes.items() if len(points) > 1}


def sweep_plots(groups, runs):
  """A figure per swept knob: the semantic-slerp columns against the knob's value,
  mean and 95 % interval over seeds (DIR/sweep_PARENT_KEY.png). Returns the paths."""
  written = []
  for (parent, key), points in sweep_axes(groups).items():
    series = {title: [(value, *groups[name]['columns'][title][:3]) for value, name in points
                      if title in groups[name]['columns']] for title in SWEEP_PLOT_COLUMNS}
    series = {title: p for title, p in series.items() if p}
    if not series:
      continue
    prefix = parent.replace(os.sep, '_') + '_' if parent else ''
    path = os.path.join(runs, f'sweep_{prefix}{key}.png')
    seeds = max(len(groups[name]['runs']) for _, name in points)
    plots.metric_vs_value(series, path, f'{parent or os.path.basename(os.path.normpath(runs))}: {key} (mean and 95 % interval, '
                          f'{seeds} seeds)', key)
    written.append(path)
  return written


def viewpoint_rows(table):
  """{(dataset, group, operator or reference): {'name', 'seeds', 'columns': {title:
  (mean, low, high, seeds)}}} of the runs with eval.viewpoint results: the interval a
  two-level bootstrap over seeds x paths (every run of a group edits the same paths)."""
  groups = {}
  for run, results in table.items():
    if 'viewpoint' in results:
      groups.setdefault(group_name(run), []).append(results['viewpoint'])
  out = {}
  for name, members in sorted(groups.items()):
    fields = members[0]
    for op in [*fields['paths']['operators'], 'oracle', 'no_edit']:
      per_op = [m['paths']['operators'][op] if op in m['paths']['operators'] else m['paths'][op]
                for m in members]
      row = {'name': display_name(fields), 'seeds': len(members), 'columns': {}}
      for title, per_path, _ in VIEWPOINT_COLUMNS:
        values = [per_path(p) for p in per_op]
        if any(v is None for v in values) or len({len(v) for v, _ in values}) != 1:
          continue
        row['columns'][title] = intervals.bootstrap([v for v, _ in values], values[0][1]) + (
            len(members),)
      out[(fields['dataset'], name, op.replace('_', '-'))] = row
  return out


def viewpoint_markdown(rows):
  """One table per dataset: a row per run group x operator (and the oracle and no-edit
  references); bold only where the interval separates from every other row."""
  text = []
  for dataset in sorted({d for d, _, _ in rows}):
    in_table = {key: row for key, row in rows.items() if key[0] == dataset}
    text += _table(f'### {dataset}: viewpoint editing', ['run', 'method', 'operator', 'seeds'],
                   {k: ([k[1], r['name'], k[2], str(r['seeds'])], r['columns'])
                    for k, r in in_table.items()},
                   [(t, higher) for t, _, higher in VIEWPOINT_COLUMNS])
  return '\n'.join(text) + '\n' if text else ''


def main(argv):
  del argv
  table = collect(FLAGS.runs)
  if not table:
    raise FileNotFoundError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  groups = group(table)
  editing = viewpoint_rows(table)
  text = markdown(groups) + ('\n' + viewpoint_markdown(editing) if editing else '')
  with open(os.path.join(FLAGS.runs, 'results.md'), 'w', encoding='utf-8') as f:
    f.write(text)
  with open(os.path.join(FLAGS.runs, 'results.json'), 'w', encoding='utf-8') as f:
    json.dump({**groups, 'viewpoint': {' '.join(k): v for k, v in editing.items()}}, f, indent=1)
  bars = {(group_label, op): row['columns'][VIEWPOINT_FIGURE_COLUMN][:3]
          for (_, group_label, op), row in editing.items()
          if VIEWPOINT_FIGURE_COLUMN in row['columns']}
  if bars:
    plots.grouped_bars(bars, os.path.join(FLAGS.runs, 'results_viewpoint.png'),
                       f'viewpoint editing, {VIEWPOINT_FIGURE_COLUMN}: mean and 95 % interval')
  title = COLUMNS[0][0]
  bars = {(g['dataset'], g['name']): g['columns'][title][:3]
          for g in groups.values() if title in g['columns']}
  if bars:
    plots.grouped_bars(bars, os.path.join(FLAGS.runs, 'results.png'),
                       f'{title}: mean and 95 % interval')
  for path in sweep_plots(groups, FLAGS.runs):
    print(f'wrote {path}')
  print(text)


if __name__ == '__main__':
  app.run(main)
