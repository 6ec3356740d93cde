"""python -m eval.report --runs=DIR: a markdown table per dataset of every run below DIR
(DIR/results.md, DIR/results.json), its columns those every registered evaluator
declares (jsemrep/evaluators/), and a bar chart of each evaluator's figure column with
its intervals (DIR/results.png for interpolate's semantic-slerp accuracy,
DIR/results_NAME.png otherwise); for the run directories of a sweep
(PARENT/KEY=VALUE/seed<N>), a plot of the semantic-slerp columns against the swept value
(DIR/sweep_[PARENT_]KEY.png); for evaluators with a row per item of a run (viewpoint:
every editing operator and reference), a table of their own.

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

import numpy as np

from absl import flags

from eval import common
from jsemrep import evaluators
from jsemrep import plots
from jsemrep.errors import JsemrepError
from jsemrep.evaluators.base import lookup
from jsemrep.metrics import intervals

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', 'runs/results', 'Directory of training runs.')
flags.DEFINE_string('against', None, 'A row (run group) to compare every other row of its '
                    'dataset with: the paired difference of every per-path column with its '
                    '95 % interval (DIR/differences.md).')

NEIGHBOR_READINGS = {'adjacent': "adjacent: the paper's wording",
                     'ordinal': "ordinal: this project's reading",
                     'all': 'all: angular FaceNet'}
METHOD_NAMES = {'triplet': 'triplet (FaceNet)'}
SPLITS = ('test', 'validation', 'train')


def column_title(evaluator, column, split):
  """A column's title in the tables: the evaluator's own, with the evaluator's name
  for a variant (interpolate_small) and the split where it is not test."""
  title = column.title + (f' [{evaluator.name}]' if evaluator.variant_of else '')
  return title + ('' if split == 'test' else f' ({split})')


def table_columns():
  """[(title, evaluator, split, column)] of the per-run tables, from every registered
  evaluator's declared columns (those with a figure column first), test then the
  other splits."""
  ordered = sorted(evaluators.registry().values(),
                   key=lambda e: (e.figure_column is None, e.variant_of is not None, e.name))
  return [(column_title(e, c, split), e, split, c)
          for split in SPLITS for e in ordered if e.rows is None for c in e.columns]


def evaluator_and_split(stem, result):
  """(evaluator name, split) of a result file: from the record, or for older records
  from the file name (NAME.json: test, NAME_SPLIT.json)."""
  split = result.get('split') or next(
      (s for s in SPLITS[1:] if stem.endswith(f'_{s}')), 'test')
  name = result.get('evaluator') or (stem[:-len(split) - 1] if split != 'test' else stem)
  return name, split


def collect(runs):
  """{run dir (relative): {(evaluator, split): result}} of every eval JSON under runs;
  a file that does not parse is skipped with a warning naming it."""
  table = {}
  for path in sorted(glob.glob(os.path.join(runs, '**', 'eval', '*.json'), recursive=True)):
    try:
      with open(path, encoding='utf-8') as f:
        result = json.load(f)
    except (OSError, ValueError) as e:
      print(f'warning: skipping {path}: not a readable result JSON ({e}); rerun the evaluation '
            'program that wrote it', file=sys.stderr)
      continue
    if not isinstance(result, dict):
      continue
    run = os.path.relpath(os.path.dirname(os.path.dirname(path)), runs)
    stem = os.path.splitext(os.path.basename(path))[0]
    table.setdefault(run, {})[evaluator_and_split(stem, result)] = result
  return table


def group_name(run):
  """The run directory without a trailing seed<N> component."""
  head, tail = os.path.split(run)
  return head if re.fullmatch(r'seed\d+', tail) and head else run


def display_name(fields):
  name = METHOD_NAMES.get(fields['method'], fields['method'])
  if 'neighbor' in fields:
    reading = NEIGHBOR_READINGS.get(fields['neighbor'], fields['neighbor'])
    if fields.get('margin_mode') == 'graded':
      reading += "; graded margin: this project's"
    name += f' ({reading})'
  return name


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
           'columns': {}, '_per_path': {}}
    for title, evaluator, split, column in table_columns():
      results = [rs[evaluator.name, split] for _, rs in members
                 if lookup(rs.get((evaluator.name, split), {}).get('scores'), column.key)
                 is not None]
      if results:
        row['columns'][title] = _interval(
            [r['scores'] for r in results], [r.get('paths') for r in results], column) + (
                len(results),)
        if column.per_path is not None and all(r.get('paths') for r in results):
          row['_per_path'][title] = [column.per_path(r['paths']) for r in results]
    out[name] = row
  return out


def differences(groups, against):
  """{row: {title: (mean, low, high)}}: for every other row of `against`'s dataset and
  every column both have per-path values of (on the same paths), the paired
  difference row - against (intervals.paired_difference)."""
  if against not in groups:
    raise JsemrepError(f'--against={against}: no such row; rows: {", ".join(sorted(groups))}')
  reference = groups[against]
  out = {}
  for name, row in groups.items():
    if name == against or row['dataset'] != reference['dataset']:
      continue
    out[name] = _paired_cells(row['_per_path'], reference['_per_path'])
  return out


def _paired_cells(per_path, reference):
  """{title: (mean, low, high)} of row - reference for every column both have on the
  same paths (intervals.paired_difference, resampling the paths' groups where the
  column gives them); columns whose path weights differ between runs (a ratio per run,
  the L1 gap closed) are left out."""
  cells = {}
  for title, per_run in per_path.items():
    base = reference.get(title)
    if base is None or len({len(r[0]) for r in per_run + base}) != 1:
      continue
    weights = [None if r[1] is None else np.asarray(r[1], np.float64) for r in per_run + base]
    if any(w is not None and not np.array_equal(w, weights[0]) for w in weights):
      continue
    cells[title] = intervals.paired_difference(
        [r[0] for r in per_run], [r[0] for r in base], weights[0],
        groups=per_run[0][2] if len(per_run[0]) > 2 else None)
  return cells


def _difference_text(cell):
  """'+0.012 [-0.004, +0.030] within noise' of a (mean, low, high) difference; '' for none."""
  if cell is None:
    return ''
  mean, low, high = cell
  return f'{mean:+.3f} [{low:+.3f}, {high:+.3f}]' + (' within noise' if low <= 0 <= high else '')


def differences_markdown(diffs, groups, against):
  """The table of `differences`; '' when no column has per-path values in both rows (a
  table of empty cells says nothing)."""
  titles = [t for t, _, _, _ in table_columns() if any(t in c for c in diffs.values())]
  if not titles:
    return ''
  text = [f'### Paired differences to {against} ({groups[against]["name"]}), '
          f'{groups[against]["dataset"]}', '',
          '| run | method | ' + ' | '.join(titles) + ' |', '|' + '---|' * (len(titles) + 2)]
  for name, cells in diffs.items():
    text.append(f'| {name} | {groups[name]["name"]} | '
                + ' | '.join(_difference_text(cells.get(t)) for t in titles) + ' |')
  return '\n'.join(text + ['', 'Row minus the reference row; 95 % interval of the paired '
                            'difference (seeds of each row resampled, the shared paths drawn '
                            'once for both). "within noise": the interval includes 0.']) + '\n'



def _interval(scores, raws, column):
  """(mean, low, high) of a column over runs: the two-level bootstrap over seeds x
  paths where the column has per-path values, Student-t over seeds otherwise; no
  interval (low = high = mean) where the column declares none."""
  if column.per_path is not None and all(r is not None for r in raws):
    interval = _bootstrap([column.per_path(r) for r in raws])
    if interval is not None:
      return interval
  mean, low, high = intervals.over_seeds([lookup(s, column.key) for s in scores])
  return (mean, low, high) if column.interval else (mean, mean, mean)


def _bootstrap(per_run):
  """The bootstrap interval of a column's per-path values over runs (each run's
  (values, weights[, groups])), or None when a run lacks them or the paths differ."""
  if any(r is None for r in per_run) or len({len(r[0]) for r in per_run}) != 1:
    return None
  groups = per_run[0][2] if len(per_run[0]) > 2 else None
  weights = [r[1] for r in per_run]
  if weights[0] is not None and any(w != weights[0] for w in weights):
    weights = np.asarray(weights, np.float64)    # each run its own (a ratio's denominators)
  else:
    weights = weights[0]
  return intervals.bootstrap([r[0] for r in per_run], weights, groups=groups)


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
                   [(title, column.higher) for title, _, _, column in table_columns()])
  text.append('Mean ± half the width of the 95 % interval: a two-level bootstrap over seeds '
              'and paths for path metrics, Student-t over seeds otherwise (docs/evaluation.md). '
              'Bold: the interval separates from every other row.')
  return '\n'.join(text) + '\n'


SWEEP_PLOT_COLUMNS = ('slerp semantic acc.', 'slerp semantic visits', 'slerp direct visits',
                      'slerp semantic acc. (validation)', 'slerp semantic visits (validation)',
                      'slerp direct visits (validation)')


def sweep_axes(groups):
  """{(parent, key): [(value, group), ...]} for groups named PARENT/KEY=VALUE (the run
  directories of a one-knob sweep, train.main --config.sweep), for the knobs some parent
  sweeps over two values or more; a parent with one value of such a knob is kept (a row
  run at one schedule of the learning curves is a point in their figure)."""
  axes = {}
  for name in groups:
    parent, last = os.path.split(name)
    match = re.fullmatch(r'([A-Za-z_][\w.]*)=([-+0-9.eE]+)', last)
    if match:
      axes.setdefault((parent, match.group(1)), []).append((float(match.group(2)), name))
  swept = {key for (_, key), points in axes.items() if len(points) > 1}
  return {(parent, key): sorted(points) for (parent, key), points in axes.items()
          if key in swept}


def sweep_plots(groups, runs):
  """A figure per swept knob: the slerp columns against the knob's value, mean and 95 %
  interval over seeds, a line per parent sweeping it (eval/curves.sh's num_steps: the
  learning curves of every row in one figure). DIR/sweep_PARENT_KEY.png for a knob one
  parent sweeps, DIR/sweep_KEY.png for one several do. Returns the paths."""
  by_key = {}
  for (parent, key), points in sweep_axes(groups).items():
    by_key.setdefault(key, {})[parent] = points
  written = []
  for key, parents in sorted(by_key.items()):
    series = {title: {parent or '.': [(value, *groups[name]['columns'][title][:3])
                                      for value, name in points
                                      if title in groups[name]['columns']]
                      for parent, points in parents.items()} for title in SWEEP_PLOT_COLUMNS}
    series = {title: {line: p for line, p in lines.items() if p}
              for title, lines in series.items()}
    series = {title: lines for title, lines in series.items() if lines}
    if not series:
      continue
    (only, *others) = parents
    prefix = only.replace(os.sep, '_') + '_' if only and not others else ''
    path = os.path.join(runs, f'sweep_{prefix}{key}.png')
    seeds = max(len(groups[name]['runs']) for points in parents.values() for _, name in points)
    where = only if only and not others else os.path.basename(os.path.normpath(runs))
    plots.metric_vs_value(series, path, f'{where}: {key} (mean and 95 % interval, up to '
                          f'{seeds} seeds)', key)
    written.append(path)
  return written


def item_rows(table):
  """{(evaluator, dataset, group, item): {'name', 'seeds', 'columns': {title: (mean,
  low, high, seeds)}}} of the evaluators whose table has a row per item of a run (the
  editing operators and references): the interval a two-level bootstrap over seeds x
  paths, or seeds x identities where the columns give the paths' groups (every run of a
  group is scored on the same paths)."""
  out = {}
  for evaluator in evaluators.registry().values():
    if evaluator.rows is None:
      continue
    groups = {}
    for run, results in table.items():
      if (evaluator.name, 'test') in results and results[evaluator.name, 'test'].get('scores'):
        groups.setdefault(group_name(run), []).append(results[evaluator.name, 'test'])
    for name, members in sorted(groups.items()):
      per_member = [evaluator.rows(m) for m in members]
      for item in per_member[0]:
        if not all(item in rows for rows in per_member):
          continue
        row = {'name': display_name(members[0]), 'seeds': len(members), 'columns': {},
               '_per_path': {}}
        for column in evaluator.columns:
          per_run = [column.per_path(rows[item][1]) for rows in per_member]
          interval = _bootstrap(per_run)
          if interval is not None:
            row['columns'][column.title] = interval + (len(members),)
            row['_per_path'][column.title] = per_run
        out[(evaluator.name, members[0]['dataset'], name, item.replace('_', '-'))] = row
  return out


def item_differences(items, against):
  """{(evaluator, dataset, group, item): {title: (mean, low, high)}}: for every row of
  an item table whose group is not `against` and whose item `against` also has (the
  same paths), the paired difference row - against (_paired_cells)."""
  out = {}
  for key, row in items.items():
    base_key = key[:2] + (against,) + key[3:]
    if key[2] != against and base_key in items:
      out[key] = _paired_cells(row['_per_path'], items[base_key]['_per_path'])
  return out


def item_differences_markdown(diffs, against):
  text = []
  for name, dataset in sorted({key[:2] for key in diffs}):
    keys = [k for k in diffs if k[:2] == (name, dataset)]
    titles = [c.title for c in evaluators.get(name).columns
              if any(c.title in diffs[k] for k in keys)]
    text += [f'### {dataset}: {evaluators.get(name).title or name}, paired differences to '
             f'{against}', '', '| run | item | ' + ' | '.join(titles) + ' |',
             '|' + '---|' * (len(titles) + 2)]
    for key in keys:
      text.append(f'| {key[2]} | {key[3]} | '
                  + ' | '.join(_difference_text(diffs[key].get(t)) for t in titles) + ' |')
    text.append('')
  return '\n'.join(text) + '\n' if text else ''


def item_markdown(rows):
  """One table per evaluator and dataset: a row per run group x item; bold only where
  the interval separates from every other row."""
  text = []
  for name, dataset in sorted({key[:2] for key in rows}):
    evaluator = evaluators.get(name)
    in_table = {key: row for key, row in rows.items() if key[:2] == (name, dataset)}
    text += _table(f'### {dataset}: {evaluator.title or name}',
                   ['run', 'method', 'item', 'seeds'],
                   {k: ([k[2], r['name'], k[3], str(r['seeds'])], r['columns'])
                    for k, r in in_table.items()},
                   [(c.title, c.higher) for c in evaluator.columns])
  return '\n'.join(text) + '\n' if text else ''


def main(argv):
  del argv
  if not os.path.isdir(FLAGS.runs):
    raise JsemrepError(f'{FLAGS.runs} is not a directory of runs')
  table = collect(FLAGS.runs)
  if not table:
    raise JsemrepError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  groups = group(table)
  items = item_rows(table)
  text = markdown(groups) + ('\n' + item_markdown(items) if items else '')
  with open(os.path.join(FLAGS.runs, 'results.md'), 'w', encoding='utf-8') as f:
    f.write(text)
  with open(os.path.join(FLAGS.runs, 'results.json'), 'w', encoding='utf-8') as f:
    public = {name: {k: v for k, v in row.items() if not k.startswith('_')}
              for name, row in groups.items()}
    json.dump({**public, **{f'items {" ".join(k)}': {n: v for n, v in row.items()
                                                     if not n.startswith('_')}
                            for k, row in items.items()}}, f, indent=1)
  if FLAGS.against:
    if FLAGS.against not in groups and not any(key[2] == FLAGS.against for key in items):
      raise JsemrepError(f'--against={FLAGS.against}: no such row; rows: '
                         f'{", ".join(sorted(set(groups) | {key[2] for key in items}))}')
    text_diff = ''
    if FLAGS.against in groups:
      text_diff = differences_markdown(differences(groups, FLAGS.against), groups, FLAGS.against)
    text_diff += item_differences_markdown(item_differences(items, FLAGS.against), FLAGS.against)
    with open(os.path.join(FLAGS.runs, 'differences.md'), 'w', encoding='utf-8') as f:
      f.write(text_diff)
    text += '\n' + text_diff
  for evaluator in evaluators.registry().values():
    title = evaluator.figure_column
    if title is None:
      continue
    if evaluator.rows is None:
      bars = {(g['dataset'], g['name']): g['columns'][title][:3]
              for g in groups.values() if title in g['columns']}
      path = os.path.join(FLAGS.runs, 'results.png' if evaluator.name == 'interpolate'
                          else f'results_{evaluator.name}.png')
    else:
      bars = {(group_label, item): row['columns'][title][:3]
              for (name, _, group_label, item), row in items.items()
              if name == evaluator.name and title in row['columns']}
      path = os.path.join(FLAGS.runs, f'results_{evaluator.name}.png')
    if bars:
      plots.grouped_bars(bars, path, f'{title}: mean and 95 % interval')
  for path in sweep_plots(groups, FLAGS.runs):
    print(f'wrote {path}')
  print(text)


if __name__ == '__main__':
  common.run_program(main)
