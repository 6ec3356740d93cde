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

import json
import os
import re

from absl import flags

from eval import common
from jsemrep import evaluators
from jsemrep import plots
from jsemrep import report
from jsemrep.errors import JsemrepError

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', 'runs/results', 'Directory of training runs.')
flags.DEFINE_string('against', None, 'A row (run group) to compare every other row of its '
                    'dataset with: the paired difference of every per-path column with its '
                    '95 % interval (DIR/differences.md).')


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


def main(argv):
  del argv
  if not os.path.isdir(FLAGS.runs):
    raise JsemrepError(f'{FLAGS.runs} is not a directory of runs')
  table = report.collect(FLAGS.runs)
  if not table:
    raise JsemrepError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  groups = report.group(table)
  items = report.item_rows(table)
  text = report.markdown(groups) + ('\n' + report.item_markdown(items) if items else '')
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
      text_diff = report.differences_markdown(report.differences(groups, FLAGS.against), groups,
                                              FLAGS.against)
    text_diff += report.item_differences_markdown(report.item_differences(items, FLAGS.against),
                                                  FLAGS.against)
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
