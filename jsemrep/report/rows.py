"""Result rows: every evaluation JSON below a directory of runs, grouped into rows (a
run group: the runs that differ only in their training seed) with a mean and a 95 %
interval per declared column (docs/evaluation.md), and rows per item for evaluators
with a row per item of a run (the editing operators)."""

import glob
import json
import os
import re
import sys

import numpy as np

from jsemrep import evaluators
from jsemrep.evaluators.base import lookup
from jsemrep.metrics import intervals


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


FAILED = 'failed'   # the record eval.failures writes for a seed that did not train


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
           'failed': {r.get('seed'): r.get('message', '') for _, rs in members
                      for (name, _), r in rs.items() if name == FAILED},
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

