"""Matplotlib figures, drawn with its object API (a Figure of its own, saved, never
shown): no pyplot, no global figure state, no GUI backend."""

import numpy as np


def _figure(figsize):
  """A new Figure; matplotlib is imported here, when a figure is drawn, because it
  costs every program that imports this module a second at import."""
  from matplotlib.figure import Figure  # pylint: disable=import-outside-toplevel
  return Figure(figsize=figsize)


def _colormap(name):
  from matplotlib import colormaps  # pylint: disable=import-outside-toplevel
  return colormaps[name]


def mosaic(rows, gap=2):
  """The images of `rows` (label, images (S, H, W, C) in [0, 1]) laid out in one RGB
  array, a row per item, `gap` white pixels between images; shorter rows end in white."""
  height, width = np.asarray(rows[0][1][0]).shape[:2]
  columns = max(len(images) for _, images in rows)
  out = np.ones((len(rows) * (height + gap) - gap, columns * (width + gap) - gap, 3), np.float32)
  for r, (_, images) in enumerate(rows):
    for c, image in enumerate(images):
      image = np.clip(np.asarray(image, np.float32), 0, 1)
      y, x = r * (height + gap), c * (width + gap)
      out[y:y + height, x:x + width] = image if image.shape[-1] == 3 else image[..., :1]
  return out


def image_rows(rows, path, title=None):
  """One row of images per (label, images (S, H, W, C) in [0, 1]) item, saved to path:
  one mosaic drawn once, each row's label on its left."""
  columns = max(len(images) for _, images in rows)
  height = np.asarray(rows[0][1][0]).shape[0]
  fig = _figure((0.6 * columns + 1.6, 0.65 * len(rows) + 0.4))
  ax = fig.subplots()
  ax.imshow(mosaic(rows), vmin=0, vmax=1, interpolation='nearest')
  ax.set_xticks([])
  ax.set_yticks([r * (height + 2) + height / 2 for r in range(len(rows))],
                [label for label, _ in rows], fontsize=8)
  ax.tick_params(length=0)
  for spine in ax.spines.values():
    spine.set_visible(False)
  if title:
    fig.suptitle(title, fontsize=10)
  fig.subplots_adjust(left=0.16, right=0.99, top=0.93 if title else 0.99, bottom=0.01)
  fig.savefig(path, dpi=100)


def scatter_by_class(points, labels, path, title=None):
  """2-D points coloured by class, with a legend."""
  fig = _figure((5.5, 5))
  ax = fig.subplots()
  cmap = _colormap('tab10' if labels.max() < 10 else 'tab20')
  for c in np.unique(labels):
    sel = labels == c
    ax.scatter(points[sel, 0], points[sel, 1], s=4, color=cmap(c % cmap.N), label=str(c))
  ax.legend(markerscale=3, fontsize=7, loc='best', ncol=2)
  ax.set_xticks([])
  ax.set_yticks([])
  if title:
    ax.set_title(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=100)


def grouped_bars(values, path, title):
  """values {(group, member): (mean, low, high)} as bars with interval whiskers,
  grouped by group (e.g. dataset x method)."""
  groups = sorted({g for g, _ in values})
  members = sorted({m for _, m in values})
  width = 0.8 / max(len(members), 1)
  fig = _figure((3 + 0.45 * len(members) * len(groups), 3.6))
  ax = fig.subplots()
  cmap = _colormap('tab20')
  for i, member in enumerate(members):
    xs = [g_i + i * width for g_i, g in enumerate(groups) if (g, member) in values]
    stats = np.array([values[(g, member)] for g in groups if (g, member) in values])
    ax.bar(xs, stats[:, 0], width, label=member, color=cmap(i % 20),
           yerr=[stats[:, 0] - stats[:, 1], stats[:, 2] - stats[:, 0]], capsize=2)
  ax.set_xticks([g_i + 0.4 - width / 2 for g_i in range(len(groups))])
  ax.set_xticklabels(groups)
  ax.set_ylim(0, 1)
  ax.set_title(title, fontsize=9)
  ax.legend(fontsize=7, ncol=1, loc='upper left', bbox_to_anchor=(1.01, 1.0))
  fig.tight_layout()
  fig.savefig(path, dpi=100)


def metric_vs_value(series, path, title, xlabel):
  """series {metric: {line: [(value, mean, low, high), ...]}}: one panel per metric, in
  it one line per entry (a row of a table: learning curves of several methods), the
  mean against the swept value with its interval as error bars."""
  fig = _figure((3.4 * len(series), 3.0))
  axes = fig.subplots(1, len(series), squeeze=False)
  for ax, (metric, lines) in zip(axes[0], series.items()):
    for line, points in lines.items():
      xs, means, lows, highs = (np.array(v, np.float64) for v in zip(*sorted(points)))
      ax.errorbar(xs, means, yerr=[means - lows, highs - means], marker='o', capsize=3,
                  label=line)
    if len(lines) > 1:
      ax.legend(fontsize=6)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(metric, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
  fig.suptitle(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
