"""Result rows: every evaluation JSON below a directory of runs, grouped into rows (a
run group: the runs that differ only in their training seed) with a mean and a 95 %
interval per declared column (docs/evaluation.md), and rows per item for evaluators
with a row per item of a run (the editing operators): one Row type for both."""

import dataclasses
import glob
import json
import os
import re
import sys
from typing import Optional

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


@dataclasses.dataclass(frozen=True)
class Row:
  """A row of a results table: a run group (the runs that differ only in their training
  seed) in the per-run table of its dataset (evaluator None), or one item of a group
  (an editing operator) in the table of an evaluator with a row per item.

  columns: {title: (mean, low, high, runs)}; per_path: {title: each run's per-path
  values} of the columns that have them (what paired differences resample); failed:
  {seed: message} of the group's seeds that did not train."""
  evaluator: Optional[str]
  dataset: str
  group: str
  item: Optional[str]
  name: str
  runs: tuple
  seeds: tuple
  uses_labels: Optional[bool]
  failed: dict
  columns: dict
  per_path: dict

  @property
  def key(self):
    """(evaluator, dataset, group, item): unique among the rows of one directory."""
    return (self.evaluator, self.dataset, self.group, self.item)

  def counterpart(self, group):
    """The key of this row's row in `group` (same table, same item)."""
    return (self.evaluator, self.dataset, group, self.item)

  def public(self):
    """What results.json records of the row: everything but the per-path values."""
    return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
            if f.name != 'per_path'}


def rows(table):
  """{Row.key: Row} of `collect`'s table: the per-run rows, then the per-item rows."""
  return {**_run_rows(table), **_item_rows(table)}


def _run_rows(table):
  """The per-run rows: every declared column of every evaluator with one row per run."""
  groups = {}
  for run, results in table.items():
    groups.setdefault(group_name(run), []).append((run, results))
  out = {}
  for name, members in sorted(groups.items()):
    fields = next(iter(members[0][1].values()))
    columns, per_path = {}, {}
    for title, evaluator, split, column in table_columns():
      results = [rs[evaluator.name, split] for _, rs in members
                 if lookup(rs.get((evaluator.name, split), {}).get('scores'), column.key)
                 is not None]
      if results:
        columns[title] = _interval([r['scores'] for r in results],
                                   [r.get('paths') for r in results], column) + (len(results),)
        if column.per_path is not None and all(r.get('paths') for r in results):
          per_path[title] = [column.per_path(r['paths']) for r in results]
    row = Row(evaluator=None, dataset=fields.get('dataset', '?'), group=name, item=None,
              name=display_name(fields) if 'method' in fields else name,
              runs=tuple(run for run, _ in members),
              seeds=tuple(sorted({r.get('seed') for _, rs in members for r in rs.values()},
                                 key=str)),
              uses_labels=fields.get('uses_labels'),
              failed={r.get('seed'): r.get('message', '') for _, rs in members
                      for (evaluator_name, _), r in rs.items() if evaluator_name == FAILED},
              columns=columns, per_path=per_path)
    out[row.key] = row
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


def _item_rows(table):
  """The rows of the evaluators whose table has a row per item of a run (the editing
  operators and references), an item named with its split where that is not test: the
  interval a two-level bootstrap over seeds x paths, or seeds x identities where the
  columns give the paths' groups (every run of a group is scored on the same paths)."""
  out = {}
  for evaluator, split in ((e, s) for e in evaluators.registry().values() for s in SPLITS):
    if evaluator.rows is None:
      continue
    groups = {}
    for run, results in table.items():
      if (evaluator.name, split) in results and results[evaluator.name, split].get('scores'):
        groups.setdefault(group_name(run), []).append((run, results[evaluator.name, split]))
    for name, members in sorted(groups.items()):
      per_member = [evaluator.rows(m) for _, m in members]
      for item in per_member[0]:
        if not all(item in rows_of for rows_of in per_member):
          continue
        columns, per_path = {}, {}
        for column in evaluator.columns:
          per_run = [column.per_path(rows_of[item][1]) for rows_of in per_member]
          interval = _bootstrap(per_run)
          if interval is not None:
            columns[column.title] = interval + (len(members),)
            per_path[column.title] = per_run
        first = members[0][1]
        row = Row(evaluator=evaluator.name, dataset=first['dataset'], group=name,
                  item=item.replace('_', '-') + ('' if split == 'test' else f' ({split})'),
                  name=display_name(first),
                  runs=tuple(run for run, _ in members),
                  seeds=tuple(sorted((m.get('seed') for _, m in members), key=str)),
                  uses_labels=first.get('uses_labels'), failed={}, columns=columns,
                  per_path=per_path)
        out[row.key] = row
  return out
