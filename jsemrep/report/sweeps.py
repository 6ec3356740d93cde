"""The figures of sweeps: a run group named PARENT/KEY=VALUE is the point VALUE of
KEY in PARENT's sweep (train.main --config.sweep, eval/curves.sh)."""

import os
import re

from jsemrep import plots

SWEEP_PLOT_COLUMNS = ('slerp semantic acc.', 'slerp semantic visits', 'slerp direct visits',
                      'slerp semantic acc. (validation)', 'slerp semantic visits (validation)',
                      'slerp direct visits (validation)')


def sweep_axes(groups):
  """{(parent, key): [(value, group), ...]} for group names PARENT/KEY=VALUE (the run
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
  parent sweeps, DIR/sweep_KEY.png for one several do. groups: {group: its per-run Row}.
  Returns the paths."""
  by_key = {}
  for (parent, key), points in sweep_axes(groups).items():
    by_key.setdefault(key, {})[parent] = points
  written = []
  for key, parents in sorted(by_key.items()):
    series = {title: {parent or '.': [(value, *groups[name].columns[title][:3])
                                      for value, name in points
                                      if title in groups[name].columns]
                      for parent, points in parents.items()} for title in SWEEP_PLOT_COLUMNS}
    series = {title: {line: p for line, p in lines.items() if p}
              for title, lines in series.items()}
    series = {title: lines for title, lines in series.items() if lines}
    if not series:
      continue
    (only, *others) = parents
    prefix = only.replace(os.sep, '_') + '_' if only and not others else ''
    path = os.path.join(runs, f'sweep_{prefix}{key}.png')
    seeds = max(len(groups[name].runs) for points in parents.values() for _, name in points)
    where = only if only and not others else os.path.basename(os.path.normpath(runs))
    plots.metric_vs_value(series, path, f'{where}: {key} (mean and 95 % interval, up to '
                          f'{seeds} seeds)', key)
    written.append(path)
  return written
