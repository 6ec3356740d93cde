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

import os

from absl import flags

from eval import common
from jsemrep import evaluators
from jsemrep import files
from jsemrep import plots
from jsemrep import report
from jsemrep.errors import JsemrepError

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', 'runs/results', 'Directory of training runs.')
flags.DEFINE_string('against', None, 'A row (run group) to compare every other row of its '
                    'dataset with: the paired difference of every per-path column with its '
                    '95 % interval (DIR/differences.md).')


def main(argv):
  del argv
  if not os.path.isdir(FLAGS.runs):
    raise JsemrepError(f'{FLAGS.runs} is not a directory of runs')
  table = report.collect(FLAGS.runs)
  if not table:
    raise JsemrepError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  rows = report.rows(table)
  text = report.markdown(rows)
  files.write_text(os.path.join(FLAGS.runs, 'results.md'), text)
  files.write_json(os.path.join(FLAGS.runs, 'results.json'),
                   {row.group if row.evaluator is None else 'items ' + ' '.join(key):
                    row.public() for key, row in rows.items()}, indent=1)
  if FLAGS.against:
    text_diff = report.differences_markdown(report.differences(rows, FLAGS.against), rows,
                                            FLAGS.against)
    files.write_text(os.path.join(FLAGS.runs, 'differences.md'), text_diff)
    text += '\n' + text_diff
  for evaluator in evaluators.registry().values():
    title = evaluator.figure_column
    if title is None:
      continue
    if evaluator.rows is None:
      bars = {(r.dataset, r.name): r.columns[title][:3] for r in rows.values()
              if r.evaluator is None and title in r.columns}
      path = os.path.join(FLAGS.runs, 'results.png' if evaluator.name == 'interpolate'
                          else f'results_{evaluator.name}.png')
    else:
      bars = {(r.group, r.item): r.columns[title][:3] for r in rows.values()
              if r.evaluator == evaluator.name and title in r.columns}
      path = os.path.join(FLAGS.runs, f'results_{evaluator.name}.png')
    if bars:
      plots.grouped_bars(bars, path, f'{title}: mean and 95 % interval')
  run_rows = {r.group: r for r in rows.values() if r.evaluator is None}
  for path in report.sweep_plots(run_rows, FLAGS.runs):
    print(f'wrote {path}')
  print(text)


if __name__ == '__main__':
  common.run_program(main)
