"""Matplotlib figures."""

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
import numpy as np  # pylint: disable=wrong-import-position


def image_rows(rows, path, title=None):
  """One row of images per (label, images (S, H, W, C) in [0, 1]) item, saved to path."""
  columns = max(len(images) for _, images in rows)
  fig, axes = plt.subplots(len(rows), columns, figsize=(0.6 * columns + 1.6, 0.65 * len(rows) + 0.4),
                           squeeze=False)
  for r, (label, images) in enumerate(rows):
    for c in range(columns):
      ax = axes[r, c]
      ax.set_xticks([])
      ax.set_yticks([])
      for spine in ax.spines.values():
        spine.set_visible(False)
      if c < len(images):
        image = np.asarray(images[c])
        ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap='gray', vmin=0, vmax=1)
    axes[r, 0].set_ylabel(label, rotation=0, ha='right', va='center', fontsize=8)
  if title:
    fig.suptitle(title, fontsize=10)
  fig.subplots_adjust(left=0.16, right=0.99, top=0.93 if title else 0.99, bottom=0.01,
                      wspace=0.05, hspace=0.1)
  fig.savefig(path, dpi=100)
  plt.close(fig)
