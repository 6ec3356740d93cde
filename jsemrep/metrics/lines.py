"""ACAI's lines metrics (docs/evaluation.md): Mean Distance and Smoothness of
interpolations, computed as ACAI's lib/eval.py computes them.

Images are mapped to [-1, 1] (background -1) before the cosine distance, as ACAI
feeds them; 10,000 reference lines at theta = linspace(0, 2pi) without the end
point; a path whose matched angle does not move (|theta_N - theta_1| < 1e-4) has
no smoothness (NaN) and counts as 0 in the mean over paths, as in ACAI's code.
"""

import numpy as np

from jsemrep.data import line_geometry

STILL_PATH = 1e-4   # ACAI's threshold on |theta_N - theta_1| for a path that does not move


def to_signed(images):
  """Images in [0, 1] -> [-1, 1], ACAI's input range."""
  return 2.0 * np.asarray(images, np.float64) - 1.0


def reference_lines(count=10_000):
  """(thetas, images (count, 32*32) in [-1, 1]) at theta = linspace(0, 2pi) without
  the end point."""
  thetas = np.linspace(0, 2 * np.pi, count, endpoint=False)
  images = np.stack([to_signed(line_geometry.render_line(t).reshape(-1) / 255.0) for t in thetas])
  return thetas, images


def nearest_reference(images, reference_images, chunk=2048):
  """(index of the nearest reference by cosine distance, that distance) per image."""
  flat = images.reshape(len(images), -1).astype(np.float64)
  ref = reference_images / np.maximum(np.linalg.norm(reference_images, axis=1, keepdims=True), 1e-12)
  indices, distances = [], []
  for i in range(0, len(flat), chunk):
    q = flat[i:i + chunk]
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    cos = q @ ref.T
    best = cos.argmax(1)
    indices.append(best)
    distances.append(1.0 - cos[np.arange(len(q)), best])
  return np.concatenate(indices), np.concatenate(distances)


def smoothness(path_thetas):
  """max_i dtheta_i - 1/(N-1) for one path's unwrapped angles, dtheta_i =
  |theta_{i+1} - theta_i| / |theta_N - theta_1|: 0 for an evenly spaced path,
  larger when the angle jumps; NaN for a path that does not move."""
  thetas = np.unwrap(np.asarray(path_thetas, np.float64))
  total = np.abs(thetas[-1] - thetas[0])
  if total < STILL_PATH:
    return float('nan')
  steps = np.abs(np.diff(thetas)) / total
  return float(steps.max() - 1.0 / (len(thetas) - 1))


def mean_smoothness(per_path):
  """ACAI's mean: the sum over paths that move divided by the number of all paths
  (still paths count as 0); NaN when no path moves."""
  per_path = np.asarray(per_path, np.float64)
  moving = ~np.isnan(per_path)
  return float(per_path[moving].sum() / len(per_path)) if moving.any() else float('nan')


def lines_scores(path_images, reference):
  """path_images (P, S, H, W, C) in [0, 1] -> ({'mean_distance', 'smoothness',
  'still_paths'}, per-path raw results {'distance', 'smoothness'} (NaN: still))."""
  thetas, images = reference
  p, s = path_images.shape[:2]
  idx, dist = nearest_reference(to_signed(path_images).reshape(p * s, -1), images)
  per_path = [smoothness(t) for t in thetas[idx].reshape(p, s)]
  raw = {'distance': dist.reshape(p, s).mean(1).tolist(), 'smoothness': per_path}
  scores = {'mean_distance': float(dist.mean()), 'smoothness': mean_smoothness(per_path),
            'still_paths': int(np.isnan(per_path).sum())}
  return scores, raw
