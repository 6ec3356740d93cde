"""Markdown of result rows (jsemrep.report.rows) and the paired differences between
rows that share their paths: bold only where an interval separates from every other
row's; "within noise" where a difference's interval includes 0."""

import numpy as np

from jsemrep import evaluators
from jsemrep.errors import JsemrepError
from jsemrep.metrics import intervals
from jsemrep.report.rows import table_columns


def differences(rows, against):
  """{Row.key: {title: (mean, low, high)}}: for every row of another group whose table
  and item `against` also has (so the same paths), the paired difference row -
  against of every column both have per-path values of (intervals.paired_difference)."""
  if not any(row.group == against for row in rows.values()):
    raise JsemrepError(f'--against={against}: no such row; rows: '
                       f'{", ".join(sorted({row.group for row in rows.values()}))}')
  return {key: _paired_cells(row.per_path, rows[row.counterpart(against)].per_path)
          for key, row in rows.items()
          if row.group != against and row.counterpart(against) in rows}


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


def differences_markdown(diffs, rows, against):
  """The tables of `differences`: one per table with a paired column, '' where no
  column has per-path values in both rows (a table of empty cells says nothing)."""
  text = []
  for evaluator, dataset in sorted({key[:2] for key in diffs},
                                   key=lambda k: (k[0] is not None, str(k))):
    keys = [k for k in diffs if k[:2] == (evaluator, dataset)]
    if evaluator is None:
      titles = [t for t, _, _, _ in table_columns() if any(t in diffs[k] for k in keys)]
      base = rows[(None, dataset, against, None)]
      heading, lead = f'### Paired differences to {against} ({base.name}), {dataset}', 'method'
      cells = lambda key: [key[2], rows[key].name]
    else:
      named = evaluators.get(evaluator)
      titles = [c.title for c in named.columns if any(c.title in diffs[k] for k in keys)]
      heading = (f'### {dataset}: {named.title or evaluator}, paired differences to '
                 f'{against}')
      lead, cells = 'item', lambda key: [key[2], key[3]]
    if not titles:
      continue
    text += [heading, '', f'| run | {lead} | ' + ' | '.join(titles) + ' |',
             '|' + '---|' * (len(titles) + 2)]
    text += ['| ' + ' | '.join(cells(key) + [_difference_text(diffs[key].get(t))
                                             for t in titles]) + ' |' for key in keys]
    if evaluator is None:
      text += ['', 'Row minus the reference row; 95 % interval of the paired difference (seeds '
               'of each row resampled, the shared paths drawn once for both). "within noise": '
               'the interval includes 0.']
    text.append('')
  return '\n'.join(text) if text else ''


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
    cells = [c.replace('|', r'\|') for c in cells]   # a run named a|b stays one cell
    for title, _ in titles:
      cell = '' if cols.get(title) is None else _cell(cols[title])
      cells = cells + [f'**{cell}**' if best[title] == key and cell else cell]
    text.append('| ' + ' | '.join(cells) + ' |')
  return text + ['']


def _seeds(row):
  """'5', or '4 (seed 4 failed: ...)' where a seed of the row did not train."""
  failed = row.failed
  text = str(len(row.runs) - len(failed))
  if failed:
    text += ' (' + '; '.join(f'seed {seed} failed: {message}' for seed, message in
                             sorted(failed.items(), key=str)) + ')'
  return text


def markdown(rows):
  """One table per dataset of the per-run rows, then one per evaluator and dataset of
  the per-item rows; bold only where the interval separates from every other row."""
  text = []
  run_rows = {k: r for k, r in rows.items() if r.evaluator is None}
  for dataset in sorted({r.dataset for r in run_rows.values()}):
    in_table = {r.group: r for r in run_rows.values()
                if r.dataset == dataset and (r.columns or r.failed)}
    if not in_table:     # e.g. runs with eval.viewpoint results only: their own table below
      continue
    labels = lambda r: {True: 'yes', False: 'no'}.get(r.uses_labels, '?')
    text += _table(f'### {dataset}', ['run', 'method', 'labels', 'seeds'],
                   {k: ([k, r.name, labels(r), _seeds(r)], r.columns)
                    for k, r in in_table.items()},
                   [(title, column.higher) for title, _, _, column in table_columns()])
  text.append('Mean ± half the width of the 95 % interval: a two-level bootstrap over seeds '
              'and paths for path metrics, Student-t over seeds otherwise (docs/evaluation.md). '
              'Bold: the interval separates from every other row.')
  text = '\n'.join(text) + '\n'
  item_rows = {k: r for k, r in rows.items() if r.evaluator is not None}
  items = []
  for name, dataset in sorted({key[:2] for key in item_rows}):
    evaluator = evaluators.get(name)
    items += _table(f'### {dataset}: {evaluator.title or name}',
                    ['run', 'method', 'item', 'seeds'],
                    {k: ([r.group, r.name, r.item, str(len(r.runs))], r.columns)
                     for k, r in item_rows.items() if k[:2] == (name, dataset)},
                    [(c.title, c.higher) for c in evaluator.columns])
  return text + ('\n' + '\n'.join(items) + '\n' if items else '')
