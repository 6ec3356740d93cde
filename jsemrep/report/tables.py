"""Markdown of result rows (jsemrep.report.rows) and the paired differences between
rows that share their paths: bold only where an interval separates from every other
row's; "within noise" where a difference's interval includes 0."""

import numpy as np

from jsemrep import evaluators
from jsemrep.errors import JsemrepError
from jsemrep.metrics import intervals
from jsemrep.report.rows import table_columns


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
  failed = row.get('failed', {})
  text = str(len(row['runs']) - len(failed))
  if failed:
    text += ' (' + '; '.join(f'seed {seed} failed: {message}' for seed, message in
                             sorted(failed.items(), key=str)) + ')'
  return text


def markdown(groups):
  """One table per dataset; bold only where the interval separates from every other row."""
  text = []
  for dataset in sorted({g['dataset'] for g in groups.values()}):
    rows = {k: g for k, g in groups.items()
            if g['dataset'] == dataset and (g['columns'] or g['failed'])}
    if not rows:     # e.g. runs with eval.viewpoint results only: their own table below
      continue
    labels = lambda g: {True: 'yes', False: 'no'}.get(g['uses_labels'], '?')
    text += _table(f'### {dataset}', ['run', 'method', 'labels', 'seeds'],
                   {k: ([k, g['name'], labels(g), _seeds(g)], g['columns'])
                    for k, g in rows.items()},
                   [(title, column.higher) for title, _, _, column in table_columns()])
  text.append('Mean ± half the width of the 95 % interval: a two-level bootstrap over seeds '
              'and paths for path metrics, Student-t over seeds otherwise (docs/evaluation.md). '
              'Bold: the interval separates from every other row.')
  return '\n'.join(text) + '\n'


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

